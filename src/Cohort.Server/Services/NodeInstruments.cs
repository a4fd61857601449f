using System.Diagnostics.Metrics;
using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core.Diagnostics;

namespace Cohort.Server.Services;

/// <summary>
/// A node's OpenTelemetry instruments, on a meter named <c>Cohort</c> (like the client's) that carries the node's
/// address as <c>cohort.node</c>: the coordinator's outcome counters, the commit duration, and the members. The
/// counters are observed from the figures <c>/metrics</c> reports (nothing is counted twice); the duration is recorded as
/// each commit is answered. Exported with <c>--otlp-endpoint</c>, and seen by any <c>MeterListener</c> in the process.
/// </summary>
internal sealed class NodeInstruments : IDisposable
{
    private readonly Meter _meter;

    public NodeInstruments(string self, ClusterAgent cluster, Coordinator coordinator)
    {
        _meter = new Meter(new MeterOptions(CohortTelemetry.SourceName)
        {
            Version = CohortTelemetry.Version,
            Tags = [new(CohortTelemetry.NodeAttribute, self)],
        });
        _meter.CreateObservableCounter(
            "cohort.transactions.committed",
            () => coordinator.Outcomes.Committed,
            unit: "{transaction}",
            description: "Transactions this node's coordinator committed since it started.");
        _meter.CreateObservableCounter(
            "cohort.transactions.aborted",
            () => coordinator.Outcomes.Aborted().Select(a => new Measurement<long>(a.Count, new KeyValuePair<string, object?>(CohortTelemetry.ReasonAttribute, a.Reason))),
            unit: "{transaction}",
            description: "Transactions this node's coordinator aborted since it started, by reason.");
        _meter.CreateObservableCounter(
            "cohort.transactions.in_doubt",
            () => coordinator.Outcomes.InDoubt,
            unit: "{transaction}",
            description: "Transactions whose outcome became in doubt at this node's coordinator since it started.");
        _meter.CreateObservableUpDownCounter<int>(
            "cohort.transactions.phase_two.pending",
            () => coordinator.PhaseTwoPending,
            unit: "{transaction}",
            description: "Decided commits whose phase two is still running.");
        _meter.CreateObservableUpDownCounter<int>(
            "cohort.cluster.members",
            () =>
            {
                var members = cluster.Members;
                var alive = members.Count(m => m.Alive);
                return
                [
                    new Measurement<int>(alive, new KeyValuePair<string, object?>("cohort.member.state", "alive")),
                    new Measurement<int>(members.Count - alive, new KeyValuePair<string, object?>("cohort.member.state", "down")),
                ];
            },
            unit: "{node}",
            description: "The cluster's members as this node sees them, alive or down.");
        var commitDuration = _meter.CreateHistogram<double>(
            "cohort.transaction.commit.duration",
            unit: "s",
            description: "From a commit's (or a batch's) start to its committed answer, at this node's coordinator.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyHistogram.Bounds });
        coordinator.CommitLatency.Observer = elapsed =>
        {
            if (commitDuration.Enabled)
            {
                commitDuration.Record(elapsed.TotalSeconds);
            }
        };
    }

    public void Dispose() => _meter.Dispose();
}
