using System.Diagnostics.Metrics;
using Cohort.Core.Diagnostics;
using Cohort.Protocol;
using Cohort.Server.Services;
using Cohort.Tests.Coordination;

namespace Cohort.Tests.Server;

/// <summary>
/// A node's OpenTelemetry instruments (meter <c>Cohort</c>, tagged with the node): the outcome counters follow the
/// coordinator's, aborts by reason; the commit duration is recorded as commits are answered; the members are counted
/// alive and down. Read with a <see cref="MeterListener"/>, as any OpenTelemetry SDK reads them.
/// </summary>
public sealed class NodeInstrumentsTests
{
    [Fact]
    public async Task Instruments_ReportTheCoordinatorsOutcomes_CommitDurations_AndMembers()
    {
        await using var cluster = new CoordinationCluster();
        await cluster.Coordinator.RecoverAsync();
        await using var node = await OneNode.StartAsync();
        var self = "instruments-" + Guid.NewGuid().ToString("N")[..8];
        using var instruments = new NodeInstruments(self, node.Cluster, cluster.Coordinator);

        var measurements = new List<(string Name, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CohortTelemetry.SourceName && instrument.Meter.Tags?.Any(t => t.Key == CohortTelemetry.NodeAttribute && Equals(t.Value, self)) == true)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            lock (measurements)
            {
                measurements.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), new Dictionary<string, object?>(tags.ToArray())));
            }
        }

        listener.SetMeasurementEventCallback<long>(Record);
        listener.SetMeasurementEventCallback<int>(Record);
        listener.SetMeasurementEventCallback<double>(Record);
        listener.Start();

        var c = cluster.Coordinator;
        var committed = c.Begin();
        await c.ApplyAsync(committed.TxId, "kv:users", Ops.Put("k", "v"));
        Assert.True((await c.CommitAsync(committed.TxId)).IsCommitted);
        Assert.True((await c.ExecuteBatchAsync([new BatchOperation("kv:users", Ops.Put("k2", "v2"))])).Outcome.IsCommitted);
        var aborted = c.Begin();
        await c.ApplyAsync(aborted.TxId, "kv:users", Ops.Put("k3", "v3"));
        await c.AbortAsync(aborted.TxId);

        listener.RecordObservableInstruments();
        double Last(string name, Func<Dictionary<string, object?>, bool>? where = null) =>
            measurements.Last(m => m.Name == name && (where is null || where(m.Tags))).Value;

        Assert.Equal(c.Outcomes.Committed, Last("cohort.transactions.committed"));
        Assert.Equal(2, Last("cohort.transactions.committed"));
        var abortReasons = measurements.Where(m => m.Name == "cohort.transactions.aborted").ToList();
        Assert.Equal(c.Outcomes.Aborted().Count, abortReasons.Count);
        Assert.Equal(1, abortReasons.Sum(m => m.Value));
        Assert.All(abortReasons, m => Assert.True(m.Tags.ContainsKey(CohortTelemetry.ReasonAttribute)));
        Assert.Equal(0, Last("cohort.transactions.in_doubt"));

        var durations = measurements.Where(m => m.Name == "cohort.transaction.commit.duration").ToList();
        Assert.Equal(2, durations.Count);
        Assert.All(durations, d => Assert.InRange(d.Value, 0, 60));

        Assert.Equal(node.Cluster.Members.Count(m => m.Alive), Last("cohort.cluster.members", t => Equals(t["cohort.member.state"], "alive")));
        Assert.Equal(0, Last("cohort.transactions.phase_two.pending"));
    }
}
