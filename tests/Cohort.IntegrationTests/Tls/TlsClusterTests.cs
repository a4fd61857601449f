using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Cohort.Client;
using Cohort.Core;
using Cohort.IntegrationTests.Cli;
using Cohort.IntegrationTests.Harness;
using Cohort.Tests.TestSupport;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Tls;

/// <summary>
/// Three nodes serving TLS only (<c>--tls-cert</c>/<c>--tls-key</c>, certificates of a throwaway CA given to every node
/// as <c>--tls-ca</c>), with a bearer token: heartbeats, forwarded calls and protocol messages (one WebSocket per node)
/// all go over https/wss — there is no plain port to fall back on.
/// </summary>
public sealed class TlsClusterFixture : IAsyncLifetime
{
    public const string Token = "tls-token";

    internal TestPki Ca { get; } = new("Cluster CA");

    internal TestPki Other { get; private set; } = null!;

    internal TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Other = new TestPki("Other CA", Ca.Directory);
        var (certificate, key) = Ca.Issue("node", ["127.0.0.1", "localhost"]);
        Cluster = await TestCluster.StartAsync(
            [["kv:a"], ["kv:b"], ["queue:q"]],
            authToken: Token,
            nodeArguments: ["--tls-cert", certificate, "--tls-key", key, "--tls-ca", Ca.CaPath],
            tlsCa: Ca.CaPath);
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Other.Dispose();
        Ca.Dispose();
    }
}

[Trait("Category", "Integration")]
public sealed class TlsClusterTests(TlsClusterFixture fixture, ITestOutputHelper output) : IClassFixture<TlsClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Client_OverHttps_CommitsAcrossThreeNodes_ThroughAnyNode()
    {
        var prefix = Guid.NewGuid().ToString("N")[..8];
        using var client = Client([.. Cluster.Nodes.Select(n => "https://" + n.Address)], fixture.Ca.CaPath);
        await using (var tx = await client.BeginAsync(TimeSpan.FromSeconds(30), "tls"))
        {
            await tx.Kv("kv:a").PutAsync(prefix, "on the master");
            await tx.Kv("kv:b").PutAsync(prefix, "on node1");
            await tx.Queue("queue:q").EnqueueAsync(prefix, "on node2");
            await tx.CommitAsync();
        }

        var snapshot = client.Snapshot();
        Assert.Equal("on the master", await snapshot.Kv("kv:a").GetStringAsync(prefix));
        Assert.Equal("on node1", await snapshot.Kv("kv:b").GetStringAsync(prefix));

        // Only node2, bare host:port (the CA says the cluster is TLS), no leader discovery: node2 forwards every call
        // to the master over https.
        using var viaNode2 = Client([Cluster.Nodes[2].Address], fixture.Ca.CaPath, discoverLeader: false);
        await using (var tx = await viaNode2.BeginAsync())
        {
            await tx.Kv("kv:a").PutAsync(prefix + ":2", "forwarded");
            await tx.Kv("kv:b").PutAsync(prefix + ":2", "forwarded");
            await tx.CommitAsync();
        }

        Assert.Equal("forwarded", await client.Snapshot().Kv("kv:b").GetStringAsync(prefix + ":2"));
    }

    [Fact]
    public async Task PlainHttp_IsAnsweredWith400_SayingToUseHttps()
    {
        var node = Cluster.Nodes[1];
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri($"http://{node.Address}/v1/resources"));
        var text = await response.Content.ReadAsStringAsync();
        output.WriteLine(text);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("bad_operation", problem["code"]!.GetValue<string>());
        Assert.Contains($"serves https only: call https://{node.Address}/", problem["detail"]!.GetValue<string>());

        // The client library hears the same, at once.
        using var client = Client([$"http://{node.Address}"], null);
        var error = await Assert.ThrowsAsync<CohortClientException>(() => client.ListResourcesAsync());
        Assert.Equal("bad_operation", error.Code);
        Assert.Contains("serves https only", error.Message);
    }

    [Fact]
    public async Task ClientTrustingAnotherCa_IsRefusedAtOnce_SayingWhy()
    {
        var node = Cluster.Nodes[0];
        using var client = Client([$"https://{node.Address}"], fixture.Other.CaPath);
        var error = await Assert.ThrowsAsync<CohortClientException>(() => client.ListResourcesAsync());
        output.WriteLine(error.Message);
        Assert.False(error.IsTransient);
        Assert.Contains($"TLS: the certificate of {node.Address} was refused", error.Message);
        Assert.Contains("issued by CN=Cluster CA", error.Message);
        Assert.Contains("does not chain to a CA of " + fixture.Other.CaPath, error.Message);

        // Without a CA the machine's trust store is used, which does not know the cluster's CA.
        using var machine = Client([$"https://{node.Address}"], null);
        var untrusted = await Assert.ThrowsAsync<CohortClientException>(() => machine.ListResourcesAsync());
        Assert.Contains("not trusted by this machine", untrusted.Message);
        Assert.Contains("--tls-ca", untrusted.Message);
    }

    [Fact]
    public async Task Cli_WithTheCa_Works_WithAnotherCa_ExplainsTheRefusal()
    {
        var node = Cluster.Nodes[1].Address;
        var key = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var put = await Cohort("kv", "put", "--addr", node, "--tls-ca", fixture.Ca.CaPath, "--auth-token", TlsClusterFixture.Token, "-r", "kv:b", key, "over-tls");
        Assert.True(put.ExitCode == 0, put.ToString());
        var get = await Cohort("kv", "get", "--addr", $"https://{node}", "--tls-ca", fixture.Ca.CaPath, "--auth-token", TlsClusterFixture.Token, "-r", "kv:b", key);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains("over-tls", get.Stdout);

        var health = await Cohort("health", "--addr", node, "--tls-ca", fixture.Ca.CaPath, "--json");
        Assert.True(health.ExitCode == 0, health.ToString());
        Assert.Equal(node, JsonNode.Parse(health.Stdout)!["address"]!.GetValue<string>());

        var status = await Cohort("status", "--addr", node, "--tls-ca", fixture.Other.CaPath, "--auth-token", TlsClusterFixture.Token);
        Assert.NotEqual(0, status.ExitCode);
        Assert.Contains($"TLS: the certificate of {node} was refused", status.Stdout + status.Stderr);

        var refused = await Cohort("kv", "get", "--addr", node, "--tls-ca", fixture.Other.CaPath, "--auth-token", TlsClusterFixture.Token, "-r", "kv:b", key);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("does not chain to a CA of", refused.Stderr);

        var badCa = await Cohort("health", "--addr", node, "--tls-ca", Path.Combine(fixture.Ca.Directory, "nothing.pem"));
        Assert.Equal(2, badCa.ExitCode);
        Assert.Contains("--tls-ca: CA file", badCa.Stderr);
    }

    [Fact]
    public async Task NodeWithACertificateOfAnotherCa_IsRefusedByTheCluster_WhichLogsWhyAndGoesOn()
    {
        var master = Cluster.Nodes[0];
        var (certificate, key) = fixture.Other.Issue("impostor", ["127.0.0.1"]);
        var root = Path.Combine(Path.GetTempPath(), "cohort-it-impostor-" + Guid.NewGuid().ToString("N")[..8]);
        var port = FreePorts.Take(1)[0];

        // It trusts the cluster's CA (so it can reach the others) but presents a certificate the others do not trust.
        await using var impostor = new NodeProcess("impostor", port, false, master.Address, [master.Address], ["kv:c"], root, TlsClusterFixture.Token, master.Heartbeat)
        {
            ExtraArguments = ["--tls-cert", certificate, "--tls-key", key, "--tls-ca", fixture.Ca.CaPath],
            TlsCa = fixture.Other.CaPath,
        };
        await impostor.StartAsync();

        // Its calls to the master (join, heartbeats) present its certificate as a client certificate, which the master
        // refuses in the handshake and logs.
        await Wait.UntilAsync(
            () => Task.FromResult(master.Printed("TLS: refused the certificate of a connecting node")),
            TimeSpan.FromSeconds(30),
            "the master to log the refused certificate",
            () => master.Tail(20));
        var line = master.Tail(200).Split('\n').First(l => l.Contains("TLS: refused the certificate", StringComparison.Ordinal));
        output.WriteLine(line);
        Assert.Contains("its client certificate (CN=impostor, issued by CN=Other CA)", line);
        Assert.Contains("does not chain to a CA of " + fixture.Ca.CaPath, line);

        var members = (JsonArray)(await Cluster.Api.GetAsync(master, "cluster/nodes")).Body["nodes"]!;
        Assert.DoesNotContain(members.OfType<JsonObject>(), m => m["address"]?.GetValue<string>() == impostor.Address && m["alive"]?.GetValue<bool>() == true);

        // The cluster goes on committing.
        using var client = Client([$"https://{master.Address}"], fixture.Ca.CaPath);
        var committed = await client.BatchAsync([CohortOps.KvPut("kv:a", "after-impostor", port.ToString(CultureInfo.InvariantCulture)), CohortOps.KvPut("kv:b", "after-impostor", "yes")]);
        Assert.Equal(2, committed.Results.Length);
    }

    [Fact]
    public async Task NodeToNodeEndpoints_NeedANodeCertificate_EvenWithTheToken()
    {
        var node = Cluster.Nodes[1];
        foreach (var (method, path) in new[] { (HttpMethod.Get, "internal/tx"), (HttpMethod.Post, "cluster/heartbeat"), (HttpMethod.Post, "cluster/join") })
        {
            var answer = method == HttpMethod.Get ? await Cluster.Api.GetAsync(node, path) : await Cluster.Api.PostAsync(node, path, new JsonObject());
            output.WriteLine($"{method} {path}: {answer.Status} {answer.Text}");
            Assert.Equal(401, answer.Status);
            Assert.Equal("unauthorized", answer.Code);
            Assert.Contains("needs the calling node's certificate", answer.Body["detail"]!.GetValue<string>());
        }

        // The API with the token needs none.
        Assert.True((await Cluster.Api.GetAsync(node, "cluster/nodes")).IsSuccess);
    }

    [Fact]
    public async Task NodeWithUnusableTlsSettings_RefusesToStart_WithOneLine()
    {
        var port = FreePorts.Take(1)[0].ToString(CultureInfo.InvariantCulture);
        var data = Path.Combine(fixture.Ca.Directory, "data-" + port);
        var (certificate, key) = fixture.Ca.Issue("elsewhere", ["10.9.8.7"]);

        var noKey = await Cohort("start-master", "--addr", "127.0.0.1:" + port, "--data-dir", data, "--tls-cert", certificate);
        Assert.Equal(2, noKey.ExitCode);
        Assert.Contains("--tls-cert and --tls-key go together", noKey.Stderr);

        var wrongHost = await Cohort("start-master", "--addr", "127.0.0.1:" + port, "--data-dir", data, "--tls-cert", certificate, "--tls-key", key);
        Assert.Equal(2, wrongHost.ExitCode);
        Assert.Contains("does not name 127.0.0.1, the host this node is known by", wrongHost.Stderr);
        Assert.DoesNotContain("READY", wrongHost.Stdout);
    }

    private CohortClient Client(IReadOnlyList<string> addresses, string? ca, bool discoverLeader = true) => new(new CohortClientOptions
    {
        Addresses = addresses,
        AuthToken = TlsClusterFixture.Token,
        CaCertificatePath = ca,
        DiscoverLeader = discoverLeader,
        MaxAttempts = 3,
    });

    private async Task<CohortCli.Run> Cohort(params string[] args)
    {
        var run = await CohortCli.RunAsync(args);
        output.WriteLine($"$ cohort {string.Join(' ', args)}\n{run}");
        return run;
    }
}
