using Cohort.Core;

namespace Cohort.Storage.Locking;

/// <summary>
/// One transaction's lock state in a <see cref="LockManager"/>: what it holds, whether it is prepared
/// (and so can no longer be wounded) and whether it has been wounded. All fields are guarded by the
/// manager's gate.
/// </summary>
public sealed class LockOwner
{
    /// <summary>Creates the lock state of transaction <paramref name="id"/>.</summary>
    public LockOwner(TxId id, DateTimeOffset deadline)
    {
        Id = id;
        Deadline = deadline;
    }

    /// <summary>The transaction; its age decides conflicts.</summary>
    public TxId Id { get; }

    /// <summary>Lock waits fail after this instant.</summary>
    public DateTimeOffset Deadline { get; }

    internal Dictionary<string, LockMode> Held { get; } = new(StringComparer.Ordinal);

    internal List<(string Space, LockManager.RangeHolder Holder)> HeldRanges { get; } = [];

    // Per space: what the range holdings cover, for the covered-request check.
    internal Dictionary<string, RangeCoverage> Coverage { get; } = new(StringComparer.Ordinal);

    internal LockManager.Waiter? Waiting { get; set; }

    internal bool Prepared { get; set; }

    internal bool Released { get; set; }

    /// <summary>Set when an older transaction wounded this one; the transaction must abort.</summary>
    public TxId? WoundedBy { get; internal set; }

    /// <summary>Whether an older transaction wounded this one.</summary>
    public bool IsWounded => WoundedBy is not null;
}
