using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Cli;

/// <summary>
/// Issue 17: every bad command line — a value no parser takes (overflow, NaN, infinity, out of range), an unknown
/// engine or address, a misspelled verb, a missing required option — ends the same way: one line on stderr naming the
/// command and the problem, no stack trace, exit code 2 (docs/operations.md). None of these needs a cluster.
/// </summary>
[Trait("Category", "Integration")]
public sealed class CliBadInputTests(ITestOutputHelper output)
{
    private static readonly string Port = FreePorts.Take(1)[0].ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static TheoryData<string[], string> BadCommandLines() => new()
    {
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--resource", "foo:bar"], "--resource 'foo:bar'" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--resource", "kv"], "--resource" },
        { ["kv", "put", "--addr", "nohost:abc", "-r", "kv:users", "k", "v"], "'nohost:abc' is not a node address" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--heartbeat", "1e400"], "--heartbeat '1e400'" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--coord-timeout", "1e20s"], "--coord-timeout '1e20s' is out of range" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--heartbeat", "-1s"], "--heartbeat '-1s' is out of range" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--misses", "99999999999"], "--misses '99999999999'" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--messages", "tcp"], "--messages 'tcp' is not one of socket, http" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--etcd", "notaurl"], "--etcd entry 'notaurl' is not an etcd client URL" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--etcd", "http://127.0.0.1:2379", "--lease-ttl", "1500ms"], "--lease-ttl must be whole seconds from 2 s to 5 min (got 1.5 s)" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--etcd", "http://127.0.0.1:2379", "--etcd-prefix", "cohort"], "--etcd-prefix 'cohort' must start with '/'" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--peer-route", "127.0.0.1:7002"], "--peer-route: peer route '127.0.0.1:7002' is not name=host:port" },
        { ["start-master", "--addr", "localhost"], "--addr 'localhost' is not a node address" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--otlp-endpoint", "localhost:4317"], "--otlp-endpoint 'localhost:4317' is not an http(s) URL" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--replicated", "kv:orders=1"], "--replicated 'kv:orders=1' must be NAME=COPIES with COPIES from 2 to 9" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--replicated", "kv:orders"], "--replicated 'kv:orders' must be NAME=COPIES" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--replicated", "kv:orders=3"], "--replicated kv:orders=3 needs the etcd backend (--etcd)" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--etcd", "http://127.0.0.1:2379", "--replicated", "pg:shard=3"], "only a named embedded resource" },
        { ["start-master", "--addr", "127.0.0.1:" + Port, "--etcd", "http://127.0.0.1:2379", "--replicated", "foo:bar=3"], "foo:bar" },
        { ["start-node"], "--addr" },
        { ["bench", "--duration", "Infinity"], "--duration 'Infinity'" },
        { ["bench", "--duration", "NaN"], "--duration 'NaN'" },
        { ["bench", "--warmup", "-1"], "--warmup '-1' is out of range" },
        { ["bench", "--clients", "0"], "--clients '0'" },
        { ["bench", "--workload", "sideways"], "--workload 'sideways'" },
        { ["bench-pg", "--resources", "pg:a", "--dsn", "x", "--duration", "1e400ms"], "--duration '1e400ms'" },
        { ["up", "--port", "99999999999"], "--port '99999999999'" },
        { ["up", "--heartbeat", "10 parsecs"], "--heartbeat '10 parsecs'" },
        { ["wait", "--timeout", "1e20"], "--timeout '1e20' is out of range" },
        { ["status", "--nodes", ","], "--nodes names no node" },
        { ["commit", "--master", "127.0.0.1:0", "--payload", "{}"], "--master '127.0.0.1:0'" },
        { ["frobnicate"], "'frobnicate'" },
        { ["kv", "frobnicate"], "'frobnicate'" },
        { ["kv", "scan", "-r", "kv:users", "--limit", "0"], "--limit '0' is not a whole number from 1 to 10000" },
        { ["kv", "scan", "-r", "kv:users", "p", "--to", "q"], "give a prefix ('p') or --from/--to, not both" },
        { ["kv", "scan", "-r", "kv:users", "--from", "b", "--to", "a"], "--from 'b' is not before --to 'a'" },
        { ["queue", "clear", "-r", "queue:events"], "queue" },
        { ["queue", "is-empty", "-r", "kv:users", "q"], "--resource 'kv:users' is not a queue resource" },
        { ["resource", "update-metadata", "-r", "resource:points"], "Required argument missing" },
        { ["resource", "update-metadata", "-r", "resource:points", "symbol"], "'symbol' is not FIELD=VALUE" },
        { ["tx", "abort", "not-an-id"], "'not-an-id' is not a transaction id" },
        { ["tx", "abort"], "Required argument missing" },
        { ["health", "--addr", "nohost"], "--addr 'nohost' is not a node address" },
        { ["sql", "--nodes", ",", "SELECT 1"], "--nodes names no node" },
        { ["up", "--node-count", "0"], "--node-count '0'" },
        { ["up", "--node-count", "2", "--port", "65535"], "--port 65535 leaves no room for 2 nodes" },
    };

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public async Task BadCommandLine_PrintsOneLineWithoutAStackTraceAndExitsTwo(string[] args, string expected)
    {
        var run = await CohortCli.RunAsync(args, timeout: TimeSpan.FromSeconds(30));
        output.WriteLine($"$ cohort {string.Join(' ', args)}\n{run}");
        Assert.True(run.ExitCode == 2, run.ToString());
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("cohort", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("Exception", line);
        Assert.DoesNotContain(" at ", line);
    }

    [Theory]
    [InlineData("bench")]
    [InlineData("start-master")]
    [InlineData("wait")]
    [InlineData("up")]
    public async Task Help_SaysABareNumberIsSeconds(string command)
    {
        var run = await CohortCli.RunAsync([command, "--help"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("a bare number is seconds", run.Stdout);
    }

    [Fact]
    public async Task Wait_BareNumberTimeout_IsSeconds_AndNoNodeAnsweringExitsFour()
    {
        var dead = $"127.0.0.1:{FreePorts.Take(1)[0]}";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = await CohortCli.RunAsync(["wait", "--nodes", dead, "--timeout", "2"], timeout: TimeSpan.FromSeconds(60));
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2), $"--timeout 2 gave up after {clock.Elapsed.TotalMilliseconds:0} ms: a bare number must be seconds");
        Assert.Contains("not ready after 2s", run.Stderr);
        Assert.Contains($"node {dead} is unreachable", run.Stderr);
    }
}
