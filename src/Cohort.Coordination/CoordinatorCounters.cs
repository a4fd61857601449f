using System.Collections.Frozen;
using Cohort.Core;

namespace Cohort.Coordination;

/// <summary>
/// How the transactions this coordinator finished ended, counted from the node's start (the <c>/metrics</c> counters
/// <c>cohort_coordinator_committed_total</c>, <c>cohort_coordinator_aborted_total{reason}</c> and
/// <c>cohort_coordinator_in_doubt_total</c>). Each outcome the coordinator sets is counted once where it is set; a
/// transaction that was in doubt and is later resolved here is counted again under its final outcome.
/// </summary>
public sealed class CoordinatorCounters
{
    /// <summary>The reason label of an abort whose code the error catalog does not know (a bounded label set).</summary>
    public const string OtherReason = "other";

    /// <summary>Every reason an abort is counted under: each code of the error catalog, in ordinal order, then <see cref="OtherReason"/>.</summary>
    public static readonly IReadOnlyList<string> Reasons = [.. ErrorCatalog.All.Select(e => e.Code).Order(StringComparer.Ordinal), OtherReason];

    private static readonly FrozenDictionary<string, int> ReasonIndex =
        Reasons.Select((reason, index) => (reason, index)).ToFrozenDictionary(r => r.reason, r => r.index, StringComparer.Ordinal);

    private readonly long[] _aborted = new long[Reasons.Count];
    private long _committed;
    private long _inDoubt;

    /// <summary>Transactions committed.</summary>
    public long Committed => Interlocked.Read(ref _committed);

    /// <summary>Transactions whose outcome became in doubt.</summary>
    public long InDoubt => Interlocked.Read(ref _inDoubt);

    /// <summary>Counts one outcome the coordinator set.</summary>
    public void Record(TxOutcome outcome)
    {
        switch (outcome.Kind)
        {
            case TxOutcomeKind.Committed:
                Interlocked.Increment(ref _committed);
                break;
            case TxOutcomeKind.Aborted:
                var index = ReasonIndex.TryGetValue(outcome.Code ?? ErrorCodes.Aborted, out var known) ? known : ReasonIndex[OtherReason];
                Interlocked.Increment(ref _aborted[index]);
                break;
            default:
                Interlocked.Increment(ref _inDoubt);
                break;
        }
    }

    /// <summary>Aborted transactions by reason, every reason of <see cref="Reasons"/> listed (with 0 when none).</summary>
    public IReadOnlyList<(string Reason, long Count)> Aborted() =>
        [.. Reasons.Select((reason, index) => (reason, Interlocked.Read(ref _aborted[index])))];
}
