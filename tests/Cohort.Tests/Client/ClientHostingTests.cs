using System.Net;
using System.Text;
using Cohort.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cohort.Tests.Client;

/// <summary>
/// The client as a .NET application hosts it: <c>AddCohortClient</c> with options bound from configuration and checked at
/// start, requests sent through the factory's HTTP client, logging, and the health check. The nodes are scripted HTTP
/// answers behind the factory's primary handler; the client's own code is what runs.
/// </summary>
public sealed class ClientHostingTests
{
    [Fact]
    public async Task AddCohortClient_BindsItsSection_AndSendsThroughTheFactorysHttpClient()
    {
        var nodes = new Answers(("cluster/nodes", """{"master_addr":"127.0.0.1:7002"}"""), ("v1/resources", """{"resources":[{"name":"kv:a","node":"127.0.0.1:7002"}]}"""));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cohort:Addresses:0"] = "127.0.0.1:7001",
            ["Cohort:Addresses:1"] = "127.0.0.1:7002",
            ["Cohort:AuthToken"] = "s3cret",
            ["Cohort:RequestTimeout"] = "00:00:07",
            ["Cohort:MaxAttempts"] = "2",
        }).Build();
        var services = new ServiceCollection();
        services.AddCohortClient(configuration.GetSection("Cohort")).ConfigurePrimaryHttpMessageHandler(() => nodes);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var client = provider.GetRequiredService<ICohortClient>();
        Assert.Same(provider.GetRequiredService<CohortClient>(), client);
        Assert.Equal(["127.0.0.1:7001", "127.0.0.1:7002"], client.Options.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(7), client.Options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), provider.GetRequiredService<IHttpClientFactory>().CreateClient(CohortClientServiceCollectionExtensions.HttpClientName).Timeout);

        var resources = await client.ListResourcesAsync(CancellationToken.None);

        Assert.Equal("kv:a", Assert.Single(resources).Name);
        Assert.Equal("127.0.0.1:7002", client.Leader);
        Assert.All(nodes.Requests, r => Assert.Equal("Bearer s3cret", r.Authorization));
        Assert.Equal("http://127.0.0.1:7002/v1/resources", nodes.Requests[^1].Uri);
    }

    [Theory]
    [InlineData(null, "At least one node address")]
    [InlineData("somehost:notaport", "'somehost:notaport' is not a node address")]
    public void BadOptions_StopTheHostAtStart_NamingTheProblem(string? address, string expected)
    {
        var services = new ServiceCollection();
        services.AddCohortClient(o => o.Addresses = address is null ? [] : [address]);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthCheck_Healthy_WithALeaderAndNothingInDoubt()
    {
        var report = await CheckAsync(new Answers(("cluster/nodes", """{"master_addr":"127.0.0.1:7001"}"""), ("v1/tx", """{"transactions":[]}""")));

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Equal("127.0.0.1:7001", report.Data["leader"]);
        Assert.Equal(0, report.Data["in_doubt"]);
    }

    [Fact]
    public async Task HealthCheck_Degraded_WhileTransactionsAreInDoubt()
    {
        var inDoubt = string.Join(',', Enumerable.Range(0, 2).Select(_ => $$"""{"tx_id":"{{TxId.NewId()}}","state":"in-doubt"}"""));
        var report = await CheckAsync(new Answers(("cluster/nodes", """{"master_addr":"127.0.0.1:7001"}"""), ("v1/tx", $$"""{"transactions":[{{inDoubt}}]}""")));

        Assert.Equal(HealthStatus.Degraded, report.Status);
        Assert.Equal(2, report.Data["in_doubt"]);
        Assert.Contains("2 transaction(s) in doubt", report.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthCheck_Unhealthy_WithoutALeader_OrWhenNoNodeAnswers()
    {
        var noLeader = await CheckAsync(new Answers(("cluster/nodes", """{"master_addr":null}""")));
        var down = await CheckAsync(new Answers());

        Assert.Equal(HealthStatus.Unhealthy, noLeader.Status);
        Assert.Contains("no leader", noLeader.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.Contains("No Cohort node answered", down.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetriesAndLeaderChanges_AreLogged()
    {
        var logs = new ListLogger();
        var nodes = new Answers(("cluster/nodes", """{"master_addr":"127.0.0.1:7001"}"""), ("v1/resources", """{"resources":[]}""")) { RefuseFirst = 1, RefusePath = "v1/resources" };
        var client = new CohortClient(
            new CohortClientOptions { Addresses = ["127.0.0.1:7001", "127.0.0.1:7002"], MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(2) },
            () => new HttpClient(nodes, disposeHandler: false),
            logs);

        await client.ListResourcesAsync(CancellationToken.None);

        Assert.Contains(logs.Lines, l => l.Contains("the cluster's leader is 127.0.0.1:7001", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("GET /v1/resources", StringComparison.Ordinal) && l.Contains("trying another node", StringComparison.Ordinal));
    }

    private static async Task<HealthReportEntry> CheckAsync(Answers nodes)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCohortClient(o =>
        {
            o.Addresses = ["127.0.0.1:7001"];
            o.MaxAttempts = 1;
            o.DiscoverLeader = false;
        }).ConfigurePrimaryHttpMessageHandler(() => nodes);
        services.AddHealthChecks().AddCohort();
        await using var provider = services.BuildServiceProvider();
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return report.Entries["cohort"];
    }

    // Answers by path prefix; anything else is a refused connection (an unreachable node). The first RefuseFirst requests
    // under RefusePath are refused too.
    private sealed class Answers(params (string Path, string Json)[] answers) : HttpMessageHandler
    {
        private int _refused;

        public int RefuseFirst { get; init; }

        public string RefusePath { get; init; } = string.Empty;

        public List<(string Uri, string? Authorization)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Requests)
            {
                Requests.Add((request.RequestUri!.ToString(), request.Headers.Authorization?.ToString()));
                var path = request.RequestUri.AbsolutePath.TrimStart('/');
                var answer = answers.FirstOrDefault(a => path.StartsWith(a.Path, StringComparison.Ordinal));
                if ((_refused < RefuseFirst && path.StartsWith(RefusePath, StringComparison.Ordinal)) || answer.Json is null)
                {
                    _refused++;
                    throw new HttpRequestException(HttpRequestError.ConnectionError, "scripted: connection refused");
                }

                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(answer.Json, Encoding.UTF8, "application/json") });
            }
        }
    }

    private sealed class ListLogger : ILogger<CohortClient>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add(formatter(state, exception));
            }
        }
    }
}
