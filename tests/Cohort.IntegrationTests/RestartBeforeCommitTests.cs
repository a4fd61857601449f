using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// A participant that restarts between a transaction's operations and its commit has lost the (unprepared) work:
/// the commit must end aborted — never commit the other participant's half, nor claim the lost writes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RestartBeforeCommitTests(ITestOutputHelper output)
{
    private const string A = "kv:a";
    private const string B = "kv:b";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Commit_AfterParticipantRestartLostItsWork_AbortsEverywhere(bool twoWriters)
    {
        await using var cluster = await TestCluster.StartAsync([[], [A], [B]], output);
        var tx = await cluster.BeginAsync(30_000);
        await cluster.ApplyOkAsync(tx, A, Ops.Put("k", "lost"));
        if (twoWriters)
        {
            await cluster.ApplyOkAsync(tx, B, Ops.Put("k", "half"));
        }

        await cluster.HomeOf(A).RestartAsync();
        await cluster.WaitAllAliveAsync();

        var commit = await cluster.CommitAsync(tx);
        output.WriteLine($"commit after {A}'s restart: {commit}");
        Assert.True(commit.Status == 200 && commit.TxStatus == "aborted", commit.ToString());

        await cluster.WaitSettledAsync();
        var (results, _) = await cluster.ReadAsync(null, Ops.On(A, Ops.Get("k")), Ops.On(B, Ops.Get("k")));
        Assert.Equal("[null,null]", results.ToJsonString());
        var status = await cluster.Api.GetAsync(cluster.Master, $"v1/tx/{tx}");
        Assert.True(status.Status == 200 && status.Body["state"]!.GetValue<string>() == "aborted", status.ToString());

        await cluster.BatchOkAsync(Ops.On(A, Ops.Put("k", "after")), Ops.On(B, Ops.Put("k", "after")));
    }
}
