using System.Net;
using System.Text;
using Cohort.Client;
using Cohort.Protocol;

namespace Cohort.Tests.Client;

/// <summary>
/// Whether the client sends a request again is decided from the problem's <c>never_ran</c> field (or, for a node that
/// predates it, from <see cref="ErrorCatalog"/>), never from its wording: one test per class of code. The nodes are
/// scripted answers; the client's own retry logic is what runs.
/// </summary>
public sealed class RetrySafetyTests
{
    private static readonly TxId Tx = TxId.NewId();

    [Theory]
    [InlineData(true)] // the problem says it never ran
    [InlineData(null)] // a node that predates the field: the catalog says no_leader never runs anything
    public async Task NoLeader_IsSentAgain_BecauseItNeverRan(bool? neverRan)
    {
        var nodes = new ScriptedNodes(Problem(503, ErrorCodes.NoLeader, neverRan), Ok("""{"result":7}"""));
        await using var tx = await BeginAsync(nodes);
        Assert.Equal(7, (await tx.RunAsync(CohortOps.KvGet("kv:a", "k"))).AsInt64());
        Assert.Equal(2, nodes.Count("/ops"));
    }

    [Fact]
    public async Task Unavailable_ThatMayHaveRun_IsNotSentAgain()
    {
        var nodes = new ScriptedNodes(Problem(503, ErrorCodes.Unavailable, neverRan: false), Ok("""{"result":7}"""));
        await using var tx = await BeginAsync(nodes);
        var error = await Assert.ThrowsAsync<CohortClientException>(() => tx.RunAsync(CohortOps.KvPut("kv:a", "k", "v")));
        Assert.IsNotType<CohortAbortedException>(error);
        Assert.Equal(ErrorCodes.Unavailable, error.Code);
        Assert.Contains("may or may not have run", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, nodes.Count("/ops"));
    }

    [Fact]
    public async Task Unavailable_ThatProvablyNeverRan_IsSentAgain()
    {
        // The node could not reach the master (connection refused): it says so in the field, whatever its wording.
        var nodes = new ScriptedNodes(Problem(503, ErrorCodes.Unavailable, neverRan: true, detail: "any words at all"), Ok("""{"result":7}"""));
        await using var tx = await BeginAsync(nodes);
        Assert.Equal(7, (await tx.RunAsync(CohortOps.KvPut("kv:a", "k", "v"))).AsInt64());
        Assert.Equal(2, nodes.Count("/ops"));
    }

    [Fact]
    public async Task AnAbortingCode_EndsTheTransaction_WithoutASecondSend()
    {
        var nodes = new ScriptedNodes(Problem(409, ErrorCodes.Wounded, neverRan: true));
        await using var tx = await BeginAsync(nodes);
        var error = await Assert.ThrowsAsync<CohortAbortedException>(() => tx.RunAsync(CohortOps.KvPut("kv:a", "k", "v")));
        Assert.Equal(ErrorCodes.Wounded, error.Code);
        Assert.True(error.IsTransient);
        Assert.True(tx.IsFinished);
        Assert.Equal(1, nodes.Count("/ops"));
    }

    [Fact]
    public async Task ACleanRefusal_KeepsTheTransaction_WithoutASecondSend()
    {
        var nodes = new ScriptedNodes(Problem(400, ErrorCodes.BadOperation, neverRan: true));
        await using var tx = await BeginAsync(nodes);
        var error = await Assert.ThrowsAsync<CohortClientException>(() => tx.RunAsync(CohortOps.KvPut("kv:a", "k", "v")));
        Assert.IsNotType<CohortAbortedException>(error);
        Assert.Equal(ErrorCodes.BadOperation, error.Code);
        Assert.False(error.IsTransient);
        Assert.False(tx.IsFinished);
        Assert.Equal(1, nodes.Count("/ops"));
    }

    [Fact]
    public async Task AnIdempotentRead_IsSentAgain_EvenWhenItMayHaveRun()
    {
        var nodes = new ScriptedNodes(Problem(503, ErrorCodes.Unavailable, neverRan: false), Ok($$"""{"tx_id":"{{Tx}}","state":"active","participants":[]}"""));
        using var client = nodes.Client();
        var info = await client.GetTransactionAsync(Tx);
        Assert.Equal(TransactionState.Active, info.State);
        Assert.Equal(2, nodes.Count("/v1/tx/"));
    }

    private static async Task<CohortTransaction> BeginAsync(ScriptedNodes nodes)
    {
        nodes.Prepend(Ok($$"""{"tx_id":"{{Tx}}","deadline":"2030-01-01T00:00:00.0000000+00:00"}""", HttpStatusCode.Created));
        return await nodes.Client().BeginAsync();
    }

    private static Func<HttpResponseMessage> Ok(string json, HttpStatusCode status = HttpStatusCode.OK) =>
        () => new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static Func<HttpResponseMessage> Problem(int status, string code, bool? neverRan, string detail = "scripted")
    {
        var fields = new List<(string, Value)> { ("code", code), ("detail", detail), ("status", status) };
        if (neverRan is { } n)
        {
            fields.Add(("never_ran", n));
        }

        var body = ValueJson.Serialize(Value.Map([.. fields]));
        return () => new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body, Encoding.UTF8, Cohort.Protocol.Problem.MediaType) };
    }

    /// <summary>Two node addresses answered in turn from a script; every request is recorded.</summary>
    private sealed class ScriptedNodes(params Func<HttpResponseMessage>[] answers) : HttpMessageHandler
    {
        private readonly Queue<Func<HttpResponseMessage>> _answers = new(answers);
        private readonly List<string> _paths = [];

        public void Prepend(Func<HttpResponseMessage> answer)
        {
            var rest = _answers.ToList();
            _answers.Clear();
            _answers.Enqueue(answer);
            rest.ForEach(_answers.Enqueue);
        }

        public int Count(string pathPart)
        {
            lock (_paths)
            {
                return _paths.Count(p => p.Contains(pathPart, StringComparison.Ordinal));
            }
        }

        public CohortClient Client() => new(
            new CohortClientOptions
            {
                Addresses = ["127.0.0.1:1", "127.0.0.1:2"],
                DiscoverLeader = false,
                MaxAttempts = 2,
                InitialBackoff = TimeSpan.FromMilliseconds(1),
                MaxBackoff = TimeSpan.FromMilliseconds(2),
            },
            new HttpClient(this, disposeHandler: false));

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_paths)
            {
                _paths.Add(request.RequestUri!.AbsolutePath);
                // Disposing a transaction that is still open aborts it: that answer needs no script.
                return Task.FromResult(_answers.Count > 0 ? _answers.Dequeue()()
                    : request.RequestUri.AbsolutePath.EndsWith("/abort", StringComparison.Ordinal) ? Ok("{}")()
                    : throw new InvalidOperationException($"No scripted answer left for {request.Method} {request.RequestUri}."));
            }
        }
    }
}
