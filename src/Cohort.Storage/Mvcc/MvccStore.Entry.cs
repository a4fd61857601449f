using Cohort.Core;

namespace Cohort.Storage.Mvcc;

/// <content>Keys, versions and their ordering.</content>
public sealed partial class MvccStore<TKey>
{
    private sealed class Entry
    {
        public static readonly Entry MinBound = new(default!);
        public static readonly Entry MaxBound = new(default!);

        public Entry(TKey key) => Key = key;

        public TKey Key { get; }

        // -1: before every key, +1: after every key, 0: a real key. Lets range views be open-ended.
        // Identity of the two sentinels rather than a field: a field would cost 8 bytes on every key.
        public int Bound => ReferenceEquals(this, MinBound) ? -1 : ReferenceEquals(this, MaxBound) ? 1 : 0;

        public Version? Head { get; set; }
    }

    private sealed class Version(HlcTimestamp timestamp, Value value, bool isTombstone)
    {
        public HlcTimestamp Timestamp { get; } = timestamp;

        // Settable only for ApplyDelta, under the write lock.
        public Value Value { get; set; } = value;

        public bool IsTombstone { get; set; } = isTombstone;

        public Version? Older { get; set; }
    }

    private sealed class EntryComparer(IComparer<TKey> keys) : IComparer<Entry>
    {
        public int Compare(Entry? x, Entry? y)
        {
            if (x!.Bound != 0 || y!.Bound != 0)
            {
                return x.Bound.CompareTo(y!.Bound);
            }

            return keys.Compare(x.Key, y.Key);
        }
    }
}
