using Cohort.Coordination;

namespace Cohort.Server.Services;

/// <summary>
/// The node's cumulative figures at one moment, as the sampler reads them: two readings make a
/// <see cref="StatsSample"/>.
/// </summary>
/// <param name="At">When, by the node's clock.</param>
/// <param name="Committed">Transactions its coordinator committed since the node started.</param>
/// <param name="Aborted">Transactions it aborted since the node started, by reason (<see cref="CoordinatorCounters.Reasons"/>).</param>
/// <param name="CommitLatency">The commit-latency histogram (<see cref="Coordinator.CommitLatency"/>).</param>
/// <param name="InDoubt">Transactions in doubt now.</param>
/// <param name="Active">Transactions active or being committed now (live, not in doubt).</param>
internal sealed record StatsReading(
    DateTimeOffset At,
    long Committed,
    IReadOnlyList<(string Reason, long Count)> Aborted,
    HistogramSnapshot CommitLatency,
    int InDoubt,
    int Active)
{
    /// <summary>What <paramref name="coordinator"/> counts now, read at <paramref name="at"/>.</summary>
    public static StatsReading Of(Coordinator coordinator, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        var (inDoubt, active) = coordinator.CountLive();
        return new StatsReading(at, coordinator.Outcomes.Committed, coordinator.Outcomes.Aborted(), coordinator.CommitLatency.Snapshot(), inDoubt, active);
    }
}
