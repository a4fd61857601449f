namespace Cohort.Storage.Locking;

/// <summary>
/// One owner's range holdings in one space, indexed to answer "is this request covered by something the owner holds?"
/// in logarithmic time (a transaction writing n rows holds O(n) point locks; a linear check made bulk writes quadratic).
/// For each mode it keeps only the holdings no other holding of that mode contains: sorted by their low key, such
/// ranges also have increasing high keys, so the one holding that can cover a range is the last starting at or before it.
/// Guarded by the lock manager's gate.
/// </summary>
internal sealed class RangeCoverage(IComparer<object> comparer)
{
    private readonly List<LockRange> _exclusive = [];
    private readonly List<LockRange> _shared = [];

    /// <summary>Whether a holding of mode at least <paramref name="mode"/> contains <paramref name="range"/>.</summary>
    public bool Covers(LockRange range, LockMode mode) =>
        Covers(_exclusive, range) || (mode == LockMode.Shared && Covers(_shared, range));

    /// <summary>Records a new holding.</summary>
    public void Add(LockRange range, LockMode mode)
    {
        var list = mode == LockMode.Exclusive ? _exclusive : _shared;
        if (Covers(list, range))
        {
            return;
        }

        // The holdings this one contains start at or after it and, their high keys increasing, follow one another.
        var start = FirstStartingAtOrAfter(list, range.Low);
        var end = start;
        while (end < list.Count && comparer.Compare(list[end].High, range.High) <= 0)
        {
            end++;
        }

        list.RemoveRange(start, end - start);
        list.Insert(start, range);
    }

    private bool Covers(List<LockRange> list, LockRange range)
    {
        var i = FirstStartingAfter(list, range.Low) - 1;
        return i >= 0 && comparer.Compare(range.High, list[i].High) <= 0;
    }

    private int FirstStartingAtOrAfter(List<LockRange> list, object key)
    {
        int low = 0, high = list.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (comparer.Compare(list[mid].Low, key) < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private int FirstStartingAfter(List<LockRange> list, object key)
    {
        int low = 0, high = list.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (comparer.Compare(list[mid].Low, key) <= 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
