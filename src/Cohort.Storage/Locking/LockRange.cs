namespace Cohort.Storage.Locking;

/// <summary>
/// A half-open key range <c>[Low, High)</c> in a range-lock space of a <see cref="LockManager"/>. The keys are
/// opaque to the manager and ordered by the comparer the space was used with; a point lock on key <c>k</c> is a
/// range from <c>k</c> to a bound sorting just after it.
/// </summary>
/// <param name="Low">The first key of the range (inclusive).</param>
/// <param name="High">The key ending the range (exclusive).</param>
public readonly record struct LockRange(object Low, object High)
{
    /// <summary>Whether this range and <paramref name="other"/> share a key.</summary>
    public bool Overlaps(LockRange other, IComparer<object> comparer) =>
        comparer.Compare(Low, other.High) < 0 && comparer.Compare(other.Low, High) < 0;

    /// <summary>Whether every key of <paramref name="other"/> lies in this range.</summary>
    public bool Covers(LockRange other, IComparer<object> comparer) =>
        comparer.Compare(Low, other.Low) <= 0 && comparer.Compare(other.High, High) <= 0;

    /// <inheritdoc/>
    public override string ToString() => $"[{Low}, {High})";
}
