using System.Net;
using System.Text;
using Cohort.Client;

namespace Cohort.Tests.Client;

/// <summary>
/// What the client asks and how it reads the answers, against scripted answers: a transaction listing filtered by
/// label (escaped in the query), resources of a down node read as unavailable, and bare addresses called over https
/// once the options name a CA.
/// </summary>
public sealed class ClientListingTests
{
    [Fact]
    public async Task ListTransactions_ByLabel_SendsItEscaped_AndEnumerationFollowsPages()
    {
        var handler = new Answers(
            """{"transactions":[],"next":null}""",
            """{"transactions":[],"next":null}""");
        using var client = new CohortClient(new CohortClientOptions { Addresses = ["127.0.0.1:7001"], DiscoverLeader = false }, new HttpClient(handler));
        await client.ListTransactionPageAsync(label: "sign up & pay");
        await foreach (var _ in client.EnumerateTransactionsAsync(pageSize: 5, label: "x"))
        {
        }

        Assert.Equal("http://127.0.0.1:7001/v1/tx?label=sign%20up%20%26%20pay", handler.Requests[0]);
        Assert.Equal("http://127.0.0.1:7001/v1/tx?limit=5&label=x", handler.Requests[1]);
        await Assert.ThrowsAsync<ArgumentException>(() => client.ListTransactionPageAsync(label: string.Empty));
    }

    [Fact]
    public async Task ListResources_ReadsADownNodesResourcesAsUnavailable()
    {
        var handler = new Answers("""{"resources":[{"name":"kv:a","node":"127.0.0.1:7001","available":true},{"name":"kv:b","node":"127.0.0.1:7002","available":false},{"name":"kv:c","node":"127.0.0.1:7003"}]}""");
        using var client = new CohortClient(new CohortClientOptions { Addresses = ["127.0.0.1:7001"], DiscoverLeader = false }, new HttpClient(handler));
        var resources = await client.ListResourcesAsync();
        Assert.Equal([true, false, true], resources.Select(r => r.Available));
        Assert.Equal(new ResourceInfo("kv:b", "127.0.0.1:7002", Available: false), resources[1]);
    }

    [Fact]
    public async Task WithACaFile_BareAddressesAreCalledOverHttps()
    {
        using var ca = new TestPki();
        var handler = new Answers("""{"resources":[]}""");
        using var client = new CohortClient(new CohortClientOptions { Addresses = ["127.0.0.1:7001"], DiscoverLeader = false, CaCertificatePath = ca.CaPath }, new HttpClient(handler));
        await client.ListResourcesAsync();
        Assert.Equal("https://127.0.0.1:7001/v1/resources", handler.Requests[0]);

        var missing = Path.Combine(ca.Directory, "missing.pem");
        var error = Assert.Throws<ArgumentException>(() => new CohortClientOptions { Addresses = ["127.0.0.1:7001"], CaCertificatePath = missing }.Validate());
        Assert.Contains(missing, error.Message);
    }

    // Answers each request with the next canned JSON body, recording the URLs asked.
    private sealed class Answers(params string[] bodies) : HttpMessageHandler
    {
        private readonly Queue<string> _bodies = new(bodies);

        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!.AbsoluteUri);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(_bodies.Dequeue(), Encoding.UTF8, "application/json") });
        }
    }
}
