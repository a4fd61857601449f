using System.Diagnostics;
using System.Net.Http.Json;
using Cohort.IntegrationTests.Harness;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Telemetry;

/// <summary>
/// Issue 22's tracing, end to end: the example ASP.NET Core app (examples/TracedApp: AddCohortClient, OpenTelemetry with
/// Cohort's instrumentation and an in-memory exporter) signs a user up against three real node processes started with
/// <c>--otlp-endpoint</c> (a test collector). One trace must hold the app's spans, the master's request and coordinator
/// spans, and each participant's spans on its own node, joined by the <c>traceparent</c> that travelled client → master
/// → participants.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TracingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("socket")]
    [InlineData("http")]
    public async Task OneTrace_SpansTheApp_TheMaster_AndEveryParticipant(string messages)
    {
        await using var collector = await OtlpReceiver.StartAsync();
        await using var cluster = await TestCluster.StartAsync(
            [["kv:users"], ["queue:events"], []],
            output,
            nodeArguments: ["--otlp-endpoint", collector.Endpoint, "--messages", messages]);
        var (master, queueNode) = (cluster.Nodes[0], cluster.Nodes[1]);
        var exported = new List<Activity>();
        var metrics = new List<Metric>();
        var port = FreePorts.Take(1)[0];
        var app = TracedApp.TracedApp.Build(["--urls", $"http://127.0.0.1:{port}", "--Cohort:Addresses:0", master.Address, "--Cohort:Addresses:1", queueNode.Address], exported, metrics);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            var health = await http.GetStringAsync("health");
            Assert.Equal("Healthy", health);
            var signup = await http.PostAsync("signup/alice", null);
            Assert.True(signup.IsSuccessStatusCode, await signup.Content.ReadAsStringAsync());
            var answer = (await signup.Content.ReadFromJsonAsync<TracedApp.TracedApp.SignupAnswer>())!;
            var traceId = answer.TraceId!;

            // The app's own spans: its sign-up, then the client's begin, two operations and the commit, in one trace.
            List<Activity> client;
            lock (exported)
            {
                // The web host's own span of the request (AddAspNetCoreInstrumentation) may or may not be exported yet.
                client = [.. exported.Where(a => a.TraceId.ToString() == traceId && a.Source.Name != "Microsoft.AspNetCore")];
            }

            Assert.Equal(["cohort.begin", "cohort.commit", "cohort.op", "cohort.op", "signup"], client.Select(a => a.DisplayName).Order(StringComparer.Ordinal));
            var commit = client.Single(a => a.DisplayName == "cohort.commit");
            Assert.Equal(answer.TxId, commit.GetTagItem("cohort.tx_id"));
            Assert.Equal("committed", commit.GetTagItem("cohort.outcome"));

            // The client's metrics: each call's duration by operation and outcome.
            Assert.True(app.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000));
            var durations = metrics.Last(m => m.Name == "cohort.client.request.duration");
            Assert.Equal("s", durations.Unit);
            var points = new List<(string? Operation, string? Outcome, long Count)>();
            foreach (ref readonly var point in durations.GetMetricPoints())
            {
                string? operation = null, outcome = null;
                foreach (var tag in point.Tags)
                {
                    operation = tag.Key == "cohort.operation" ? tag.Value as string : operation;
                    outcome = tag.Key == "cohort.outcome" ? tag.Value as string : outcome;
                }

                points.Add((operation, outcome, point.GetHistogramCount()));
            }

            Assert.Contains(points, p => p is { Operation: "commit", Outcome: "ok", Count: >= 1 });
            Assert.Contains(points, p => p is { Operation: "begin", Outcome: "ok", Count: >= 1 });
            Assert.Contains(points, p => p is { Operation: "op", Outcome: "ok", Count: >= 2 });

            // The nodes' spans of that trace reach the collector (batched, every few seconds).
            List<OtlpReceiver.Span> nodes = [];
            await Wait.UntilAsync(
                () =>
                {
                    nodes = [.. collector.Spans.Where(s => s.TraceId == traceId)];
                    return Task.FromResult(nodes.Any(s => s.Name == "cohort.coordinator.phase_two") && nodes.Count(s => s.Name == "cohort.participant.commit") == 2);
                },
                TimeSpan.FromSeconds(60),
                "the nodes' spans of the sign-up's trace",
                () => string.Join(", ", collector.Spans.Select(s => $"{s.Name}@{s.Attributes.GetValueOrDefault("cohort.node")}")));
            foreach (var span in nodes.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                output.WriteLine($"{span.Name} on {span.Attributes.GetValueOrDefault("cohort.node")} {span.Attributes.GetValueOrDefault("cohort.resource")}");
            }

            // The master's request for the commit is a child of the client's commit span; its coordinator rounds run there.
            var commitRequest = Assert.Single(nodes, s => s.Name == "POST /v1/tx/{id}/commit");
            Assert.Equal(commit.SpanId.ToString(), commitRequest.ParentId);
            Assert.Equal(master.Address, commitRequest.Attributes["cohort.node"]);
            Assert.All(
                nodes.Where(s => s.Name.StartsWith("cohort.coordinator.", StringComparison.Ordinal)),
                s => Assert.Equal(master.Address, s.Attributes["cohort.node"]));
            Assert.Contains(nodes, s => s.Name == "cohort.coordinator.prepare");
            Assert.Contains(nodes, s => s.Name == "cohort.coordinator.decision");

            // Each participant prepared and committed on its own node, under the master's messages.
            foreach (var (resource, node) in new[] { ("kv:users", master), ("queue:events", queueNode) })
            {
                foreach (var step in new[] { "cohort.participant.apply", "cohort.participant.prepare", "cohort.participant.commit" })
                {
                    var span = Assert.Single(nodes, s => s.Name == step && s.Attributes.GetValueOrDefault("cohort.resource") == resource);
                    Assert.Equal(node.Address, span.Attributes["cohort.node"]);
                    Assert.Equal(answer.TxId, span.Attributes["cohort.tx_id"]);
                }
            }

            // Every span of the trace hangs from another span of it, except the app's root.
            var ids = client.Select(a => a.SpanId.ToString()).Concat(nodes.Select(s => s.SpanId)).ToHashSet(StringComparer.Ordinal);
            Assert.All(nodes, s => Assert.Contains(s.ParentId, ids));

            // The nodes export their metrics to the same collector (OTLP/HTTP /v1/metrics, every 15 s).
            string[] nodeMetrics = ["cohort.transactions.committed", "cohort.transactions.aborted", "cohort.transaction.commit.duration", "cohort.cluster.members"];
            await Wait.UntilAsync(
                () => Task.FromResult(nodeMetrics.All(collector.Metrics.ContainsKey)),
                TimeSpan.FromSeconds(45),
                "the nodes' metrics at the collector",
                () => string.Join(", ", collector.Metrics.Keys));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
