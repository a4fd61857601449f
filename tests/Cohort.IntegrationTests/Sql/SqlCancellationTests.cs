using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Sql;

/// <summary>
/// Issue 23: a statement is bounded by its transaction's deadline. A four-way cross join that would run for many
/// minutes, in a transaction with a 2 s timeout, stops at the deadline with <c>expired</c>, its transaction aborted and
/// its locks released (another transaction writes the same tables at once), while the node answers other requests
/// meanwhile. A statement that would hold millions of rows in memory fails with a clear error instead.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SqlCancellationTests(ITestOutputHelper output)
{
    private const string Sql = "sql:app";

    [Fact]
    public async Task RunawayQuery_StopsAtItsDeadline_FreesItsLocks_AndTheNodeStaysResponsive()
    {
        await using var cluster = await TestCluster.StartAsync([[Sql]], output);
        var node = cluster.Master;
        await CreateTablesAsync(cluster, 200);

        // 200^4 = 1.6 billion combinations, none matching: minutes of work.
        var tx = await cluster.BeginAsync(timeoutMs: 2_000);
        var clock = Stopwatch.StartNew();
        var running = cluster.ApplyAsync(tx, Sql, Ops.Sql("SELECT count(*) FROM a, b, c, d WHERE a.x + b.x + c.x + d.x < 0"));

        // Meanwhile the node answers: health, and a snapshot read of the same table.
        var answered = 0;
        while (!running.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            var probe = Stopwatch.StartNew();
            Assert.True((await cluster.Api.GetAsync(node, "health")).IsSuccess);
            var read = await cluster.ReadAsync(null, Ops.On(Sql, Ops.Sql("SELECT count(*) FROM a")));
            Assert.Equal(200, read.Results[0]!["rows"]![0]![0]!.GetValue<long>());
            Assert.True(probe.Elapsed < TimeSpan.FromSeconds(1), $"the node took {probe.Elapsed.TotalMilliseconds:F0} ms to answer while the query ran");
            answered++;
            await Task.Delay(200);
        }

        var answer = await running;
        var stoppedAfter = clock.Elapsed;
        output.WriteLine($"stopped after {stoppedAfter.TotalMilliseconds:F0} ms: {answer}; {answered} probes answered meanwhile");
        Assert.Equal("expired", answer.Code);
        Assert.True(stoppedAfter < TimeSpan.FromSeconds(10), $"the statement ran {stoppedAfter.TotalSeconds:F1} s past a 2 s deadline");
        Assert.True(answered >= 3, $"only {answered} probes were answered while the query ran");

        // The statement itself stopped (not just the coordinator's wait for it): a second after the deadline the node
        // process is idle, where a running cross join keeps a core busy.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var busy = await CpuSecondsAsync(node.ProcessId!.Value, TimeSpan.FromSeconds(2));
        output.WriteLine($"node CPU over 2 s after the deadline: {busy:F2} s");
        Assert.True(busy < 0.8, $"the node used {busy:F2} s of CPU in 2 s after the deadline: the statement is still running");

        // Its transaction is over and its locks are gone: another one writes every table it read, at once.
        var write = await cluster.BeginAsync();
        foreach (var table in new[] { "a", "b", "c", "d" })
        {
            await cluster.ApplyOkAsync(write, Sql, Ops.Sql($"INSERT INTO {table} VALUES (1000)"));
        }

        Assert.True((await cluster.CommitAsync(write)).IsSuccess);
        var commit = await cluster.CommitAsync(tx);
        Assert.True(commit.TxStatus == "aborted" || commit.Code is "expired" or "aborted" or "not_active", $"commit of the stopped transaction: {commit}");
    }

    /// <summary>
    /// A statement whose client gives up stops, though its transaction's deadline is minutes away: the client's
    /// disconnect cancels the master's request to the participant node, and the node socket carries that cancel on, so
    /// the participant stops the statement, and the transaction (aborted by the master) leaves no locks behind.
    /// </summary>
    [Fact]
    public async Task AbandonedStatement_StopsOnTheParticipantNode_AndFreesItsLocks()
    {
        await using var cluster = await TestCluster.StartAsync([[], [Sql]], output);
        var participant = cluster.Nodes[1];
        await CreateTablesAsync(cluster, 200);

        var tx = await cluster.BeginAsync(timeoutMs: 120_000);
        var clock = Stopwatch.StartNew();
        using (var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(1.5)))
        {
            var body = new JsonObject { ["resource"] = Sql, ["op"] = Ops.Sql("SELECT count(*) FROM a, b, c, d WHERE a.x + b.x + c.x + d.x < 0") };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cluster.Api.PostAsync(cluster.Master, $"v1/tx/{tx}/ops", body, giveUp.Token));
        }

        output.WriteLine($"client gave up after {clock.ElapsedMilliseconds} ms");

        // The participant stopped the statement: a second later its process is idle, where the cross join keeps a core busy.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var busy = await CpuSecondsAsync(participant.ProcessId!.Value, TimeSpan.FromSeconds(2));
        output.WriteLine($"participant CPU over 2 s after the client gave up: {busy:F2} s");
        Assert.True(busy < 0.8, $"the participant used {busy:F2} s of CPU in 2 s after its client gave up: the statement is still running");

        // No locks left: another transaction writes every table the statement read, well before the first one's deadline.
        var write = await cluster.BeginAsync(timeoutMs: 10_000);
        foreach (var table in new[] { "a", "b", "c", "d" })
        {
            await cluster.ApplyOkAsync(write, Sql, Ops.Sql($"INSERT INTO {table} VALUES (1000)"));
        }

        Assert.True((await cluster.CommitAsync(write)).IsSuccess);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the tables were free only after {clock.Elapsed.TotalSeconds:F0} s");
        var commit = await cluster.CommitAsync(tx);
        Assert.True(commit.TxStatus == "aborted" || commit.Code is "aborted" or "not_active" or "unavailable", $"commit of the abandoned transaction: {commit}");
    }

    private static async Task CreateTablesAsync(TestCluster cluster, int rows)
    {
        foreach (var table in new[] { "a", "b", "c", "d" })
        {
            await cluster.BatchOkAsync(Ops.On(Sql, Ops.Sql($"CREATE TABLE {table} (x integer PRIMARY KEY)")));
            var values = string.Join(", ", Enumerable.Range(1, rows).Select(i => $"({i.ToString(CultureInfo.InvariantCulture)})"));
            await cluster.BatchOkAsync(Ops.On(Sql, Ops.Sql($"INSERT INTO {table} VALUES {values}")));
        }
    }

    // CPU seconds (user + system) process pid used over the next period, from /proc/<pid>/stat.
    private static async Task<double> CpuSecondsAsync(int pid, TimeSpan period)
    {
        static long Ticks(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

            // After "(comm)": state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }

        var before = Ticks(pid);
        await Task.Delay(period);
        return (Ticks(pid) - before) / 100.0;
    }

    [Fact]
    public async Task StatementHoldingMillionsOfRows_FailsWithAClearError()
    {
        await using var cluster = await TestCluster.StartAsync([[Sql]], output);
        foreach (var table in new[] { "l", "r" })
        {
            await cluster.BatchOkAsync(Ops.On(Sql, Ops.Sql($"CREATE TABLE {table} (x integer PRIMARY KEY)")));
            var values = new StringBuilder();
            for (var i = 1; i <= 1500; i++)
            {
                values.Append(i == 1 ? string.Empty : ", ").Append(CultureInfo.InvariantCulture, $"({i})");
            }

            await cluster.BatchOkAsync(Ops.On(Sql, Ops.Sql($"INSERT INTO {table} VALUES {values}")));
        }

        // 1500 x 1500 = 2.25 million rows in the result.
        var read = await cluster.Api.PostAsync(cluster.Master, "v1/read", Ops.Batch(Ops.On(Sql, Ops.Sql("SELECT l.x, r.x FROM l, r"))));
        output.WriteLine(read.ToString());
        Assert.Equal(400, read.Status);
        Assert.Contains("would hold more than 2,000,000 rows in memory at once", read.Text);

        // The node is fine afterwards.
        Assert.Equal(1500, (await cluster.ReadOneAsync(Sql, Ops.Sql("SELECT count(*) FROM l")))!["rows"]![0]![0]!.GetValue<long>());
    }
}
