using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests;

/// <summary>
/// Issue 5, "each crash point": a transaction writes on two nodes while one real process is armed to SIGKILL itself at
/// a named point of the protocol (the coordinator is the master; the participant is the node hosting <c>kv:a</c>, or the
/// master itself hosting <c>kv:m</c>, so that coordinator and participant die together). The
/// killed process is restarted without the crash point; then nothing may stay unsettled, both participants must end
/// the same, and the outcome must match what the client was told (anything may follow "in-doubt"), and match the
/// outcome the protocol fixes for that point.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Slow")]
public sealed class CrashPointTests(ITestOutputHelper output)
{
    private const string A = "kv:a";
    private const string B = "kv:b";
    private const string OnMaster = "kv:m";
    private const int TimeoutMs = 10_000;

    [Theory]
    [InlineData("participant.after-prepare-durable", "tx", "aborted")]
    [InlineData("participant.after-prepare-durable", "batch", "aborted")]
    [InlineData("coordinator.after-votes", "tx", "aborted")]
    [InlineData("coordinator.after-votes", "batch", "aborted")]
    [InlineData("coordinator.after-decision", "tx", "committed")]
    [InlineData("coordinator.after-decision", "batch", "committed")]
    [InlineData("participant.during-phase-two", "tx", "committed")]
    [InlineData("participant.during-phase-two", "batch", "committed")]
    [InlineData("coordinator.during-phase-two", "tx", "committed")]
    [InlineData("coordinator.during-phase-two", "batch", "committed")]

    // The master is a participant too: its crash takes the coordinator down with its own prepared (or committing) resource.
    [InlineData("participant.after-prepare-durable", "tx", "aborted", true)]
    [InlineData("participant.after-prepare-durable", "batch", "aborted", true)]
    [InlineData("participant.during-phase-two", "tx", "committed", true)]
    [InlineData("participant.during-phase-two", "batch", "committed", true)]
    public async Task Crash_AtPoint_RestartSettlesBothParticipantsConsistentlyWithTheClient(string crashPoint, string mode, string expected, bool participantIsMaster = false)
    {
        var target = crashPoint.StartsWith("coordinator.", StringComparison.Ordinal) || participantIsMaster ? 0 : 1;
        await using var cluster = await TestCluster.StartAsync([[OnMaster], [A], [B]], output, crashAt: new Dictionary<int, string> { [target] = crashPoint });
        var victim = cluster.Nodes[target];
        var first = participantIsMaster ? OnMaster : A;
        var value = "v-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            cluster.Log($"armed {crashPoint} in {victim}; writing {value} on {first} ({cluster.HomeOf(first)}) and {B} ({cluster.HomeOf(B)}) by {mode}");
            var (told, txId) = await RunTransactionAsync(cluster, mode, first, value);
            cluster.Log($"client was told: {told} (tx {txId ?? "?"})");

            // The crash point must really have fired, or this test proves nothing.
            Assert.True(await victim.WaitForExitAsync(Wait.Long), $"{victim} did not die at {crashPoint}.\n{cluster.Diagnostics()}");
            Assert.True(victim.Printed("CRASH " + crashPoint), $"{victim} exited without reaching {crashPoint}.\n{victim.Tail()}");

            await victim.StartAsync();
            cluster.Log($"{victim} restarted");
            await cluster.WaitAllAliveAsync();
            await cluster.WaitSettledAsync();
            cluster.Log("settled: nothing in-doubt, preparing or committing; no unfinished engine transaction");
            Assert.Empty(await cluster.ListAsync("in-doubt"));

            var (results, asOf) = await cluster.ReadAsync(cluster.Nodes[2], Ops.On(first, Ops.Get("k")), Ops.On(B, Ops.Get("k")));
            var onA = await cluster.ReadOnNodeAsync(cluster.HomeOf(first), first, Ops.Get("k"), asOf);
            var onB = await cluster.ReadOnNodeAsync(cluster.HomeOf(B), B, Ops.Get("k"), asOf);
            cluster.Log($"after recovery: {first}={Ops.Text(results[0])} {B}={Ops.Text(results[1])} (on the nodes: {Ops.Text(onA)}, {Ops.Text(onB)})");
            Assert.Equal(Ops.Text(results[0]), Ops.Text(onA));
            Assert.Equal(Ops.Text(results[1]), Ops.Text(onB));

            // Atomic: both participants ended the same way.
            var committedA = Ops.Text(results[0]) == $"\"{value}\"";
            var committedB = Ops.Text(results[1]) == $"\"{value}\"";
            Assert.True(committedA == committedB, $"participants disagree: {first}={Ops.Text(results[0])}, {B}={Ops.Text(results[1])}");
            Assert.True(committedA || results[0] is null, $"{first} holds something else: {Ops.Text(results[0])}");

            // Matches the client: "committed" must be applied, "aborted" must be nowhere, "in-doubt" may go either way.
            var outcome = committedA ? "committed" : "aborted";
            Assert.True(told == "in-doubt" || told == outcome, $"client was told {told} but the outcome is {outcome}");

            // And the protocol fixes the outcome at each point (a durable decision commits; none aborts).
            Assert.Equal(expected, outcome);
            if (txId is not null && outcome == "committed")
            {
                var status = await cluster.Api.GetAsync(cluster.Master, $"v1/tx/{txId}");
                Assert.True(status.Status == 404 || status.Body["state"]?.GetValue<string>() == "committed", status.ToString());
            }

            // No locks left behind: a new transaction over the same keys commits on both nodes.
            await cluster.BatchOkAsync(Ops.On(first, Ops.Put("k", "after")), Ops.On(B, Ops.Put("k", "after")));
            await cluster.WaitSettledAsync();
            var (after, _) = await cluster.ReadAsync(null, Ops.On(first, Ops.Get("k")), Ops.On(B, Ops.Get("k")));
            Assert.Equal("[\"after\",\"after\"]", after.ToJsonString());
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n{cluster.Diagnostics()}", e);
        }
        catch (Xunit.Sdk.XunitException)
        {
            output.WriteLine(cluster.Diagnostics(80));
            throw;
        }
    }

    // What the client was told: committed, aborted, or in-doubt (also for a lost connection, a timeout or a 5xx).
    private async Task<(string Told, string? TxId)> RunTransactionAsync(TestCluster cluster, string mode, string first, string value)
    {
        ApiResponse answer;
        string? txId = null;
        try
        {
            if (mode == "tx")
            {
                txId = await cluster.BeginAsync(TimeoutMs);
                await cluster.ApplyOkAsync(txId, first, Ops.Put("k", value));
                await cluster.ApplyOkAsync(txId, B, Ops.Put("k", value));
                answer = await cluster.CommitAsync(txId);
            }
            else
            {
                var body = Ops.Batch(Ops.On(first, Ops.Put("k", value)), Ops.On(B, Ops.Put("k", value)));
                body["timeout_ms"] = TimeoutMs;
                answer = await cluster.BatchAsync(body);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            output.WriteLine($"client call failed ({e.GetType().Name}: {e.Message}): in-doubt");
            return ("in-doubt", txId);
        }

        output.WriteLine($"client got {answer}");
        txId ??= answer.Json?["tx_id"]?.GetValue<string>();
        return answer.Status == 200 && answer.TxStatus is "committed" or "aborted" or "in-doubt"
            ? (answer.TxStatus!, txId)
            : ("in-doubt", txId);
    }
}
