using Cohort.Client;
using Cohort.Core;
using Cohort.IntegrationTests.Harness;
using Cohort.Protocol;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Client;

/// <summary>
/// Issue 8: a commit whose answer is lost surfaces as <see cref="CohortInDoubtException"/> carrying the transaction id,
/// never as committed or aborted by guess. The master is armed to SIGKILL itself right after its commit decision is
/// durable, so the client's commit request dies with it; once the master is back, the transaction is committed.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Slow")]
public sealed class ClientInDoubtTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Commit_WhenTheMasterDiesAfterItsDecision_ThrowsInDoubtWithTheTxId_AndTheRestartedClusterCommitsIt()
    {
        await using var cluster = await TestCluster.StartAsync([["kv:m"], ["kv:a"], ["kv:b"]], output, crashAt: new Dictionary<int, string> { [0] = "coordinator.after-decision" });
        using var client = new CohortClient(new CohortClientOptions
        {
            Addresses = [.. cluster.Nodes.Select(n => n.Address)],
            CommitResolutionTimeout = TimeSpan.FromSeconds(2),
            MaxAttempts = 2,
            InitialBackoff = TimeSpan.FromMilliseconds(50),
        });

        var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), "in-doubt test");
        await tx.Kv("kv:a").PutAsync("k", "v");
        await tx.Kv("kv:b").PutAsync("k", "v");
        var e = await Assert.ThrowsAsync<CohortInDoubtException>(() => tx.CommitAsync());
        cluster.Log($"client was told: {e.Message}");
        Assert.Equal(tx.Id, e.TxId);
        Assert.Equal(CohortInDoubtException.InDoubtCode, e.Code);
        Assert.False(e.IsTransient);
        Assert.True(tx.IsFinished);

        // The crash point really fired: the client's answer was lost, not invented.
        Assert.True(await cluster.Master.WaitForExitAsync(Wait.Long), $"the master did not die.\n{cluster.Diagnostics()}");
        Assert.True(cluster.Master.Printed("CRASH coordinator.after-decision"), cluster.Master.Tail());

        // The decision was durable before the crash: after a restart the transaction is committed on both nodes.
        await cluster.Master.StartAsync();
        await cluster.WaitAllAliveAsync();
        await cluster.WaitSettledAsync();
        var info = await client.GetTransactionAsync(e.TxId);
        Assert.Equal(TransactionState.Committed, info.State);
        var read = await client.ReadAsync([CohortOps.KvGet("kv:a", "k"), CohortOps.KvGet("kv:b", "k")]);
        Assert.Equal(["v", "v"], read.Results.Select(r => r.AsString()));
    }
}
