using System.Diagnostics;
using Cohort.Client;
using Cohort.Core;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace TracedApp;

/// <summary>The example app: a sign-up endpoint that runs one Cohort transaction across two resources, traced.</summary>
public static class TracedApp
{
    /// <summary>
    /// Builds the app; <paramref name="exported"/> receives every finished span and <paramref name="metrics"/> the
    /// metrics (in-memory exporters).
    /// </summary>
    /// <param name="args">Command-line arguments (configuration: <c>--Cohort:Addresses:0=127.0.0.1:7001</c>, <c>--urls</c>).</param>
    /// <param name="exported">Where the spans go.</param>
    /// <param name="metrics">Where the metrics go (collected when the meter provider is flushed), or null for nowhere.</param>
    /// <returns>The app, not started.</returns>
    public static WebApplication Build(string[] args, ICollection<Activity> exported, ICollection<Metric>? metrics = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddCohortClient(builder.Configuration.GetSection("Cohort"), options =>
        {
            if (options.Addresses.Count == 0)
            {
                options.Addresses = ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"];
            }
        });
        builder.Services.AddHealthChecks().AddCohort();
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
            .AddAspNetCoreInstrumentation()
            .AddSource(Source.Name)
            .AddCohortInstrumentation()
            .AddInMemoryExporter(exported))
            .WithMetrics(meters => meters
                .AddCohortInstrumentation()
                .AddInMemoryExporter(metrics ?? []));

        var app = builder.Build();
        app.MapHealthChecks("/health");

        // One sign-up: a profile in kv:users and a welcome event in queue:events, both or neither.
        app.MapPost("/signup/{name}", async (string name, ICohortClient cohort, CancellationToken cancellationToken) =>
        {
            using var activity = Source.StartActivity("signup");
            await using var tx = await cohort.BeginAsync(TimeSpan.FromSeconds(30), "signup " + name, cancellationToken);
            await tx.Kv("kv:users").PutAsync("user:" + name, Value.Map(("name", name)), cancellationToken);
            await tx.Queue("queue:events").EnqueueAsync("welcome", name, cancellationToken);
            var committed = await tx.CommitAsync(cancellationToken);
            return Results.Ok(new SignupAnswer(committed.TxId.ToString(), activity?.TraceId.ToString()));
        });

        // The spans this process recorded (the client's; the nodes export their own).
        app.MapGet("/spans", () =>
        {
            lock (exported)
            {
                return Results.Ok(exported.Select(a => new SpanInfo(a.DisplayName, a.TraceId.ToString(), a.SpanId.ToString(), a.ParentSpanId.ToString())).ToList());
            }
        });
        return app;
    }

    /// <summary>The app's own activity source (its sign-up span is the root of each trace).</summary>
    public static ActivitySource Source { get; } = new("TracedApp");

    /// <summary>The answer of <c>POST /signup/{name}</c>.</summary>
    /// <param name="TxId">The committed transaction.</param>
    /// <param name="TraceId">The trace it ran in.</param>
    public sealed record SignupAnswer(string TxId, string? TraceId);

    /// <summary>One exported span.</summary>
    /// <param name="Name">Its name.</param>
    /// <param name="TraceId">Its trace.</param>
    /// <param name="SpanId">Its id.</param>
    /// <param name="ParentId">Its parent's id.</param>
    public sealed record SpanInfo(string Name, string TraceId, string SpanId, string ParentId);
}
