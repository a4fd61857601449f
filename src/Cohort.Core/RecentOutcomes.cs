namespace Cohort.Core;

/// <summary>
/// What happened to the most recent finished transactions: a map from <see cref="TxId"/> to a value that forgets the
/// oldest entry once it holds <see cref="Capacity"/>. For answering repeated or late calls about a finished transaction.
/// </summary>
/// <remarks>
/// Entries live inline in one dictionary and one ring of ids, which stop growing at the capacity: adding an entry
/// allocates nothing once full. A concurrent dictionary would allocate a node per entry that lives for as long as the
/// entry is remembered (seconds under load), so every node survived the young-generation collections and was copied
/// into the old generation only to die there; with thousands of transactions a second those copies were most of the
/// garbage collector's pause time. Thread-safe (one lock; each call holds it for a hash lookup).
/// </remarks>
/// <typeparam name="TValue">What is remembered of a transaction; best a value type without references.</typeparam>
public sealed class RecentOutcomes<TValue>
{
    private readonly Dictionary<TxId, TValue> _entries = [];
    private readonly Lock _sync = new();
    private TxId[] _order = new TxId[16];
    private int _oldest;

    /// <summary>Creates a map that remembers at most <paramref name="capacity"/> transactions.</summary>
    public RecentOutcomes(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>How many transactions are remembered at most.</summary>
    public int Capacity { get; }

    /// <summary>How many are remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Remembers <paramref name="value"/> for <paramref name="id"/> unless it is remembered already; forgets the oldest entry when full.</summary>
    /// <returns>False when <paramref name="id"/> was already remembered (its value is kept).</returns>
    public bool TryAdd(TxId id, TValue value)
    {
        lock (_sync)
        {
            if (!_entries.TryAdd(id, value))
            {
                return false;
            }

            var count = _entries.Count - 1;
            if (count < Capacity)
            {
                if (count == _order.Length)
                {
                    // Still growing: the ring is in order from index 0.
                    Array.Resize(ref _order, Math.Min(Capacity, _order.Length * 2));
                }

                _order[count] = id;
                return true;
            }

            _entries.Remove(_order[_oldest]);
            _order[_oldest] = id;
            _oldest = (_oldest + 1) % Capacity;
            return true;
        }
    }

    /// <summary>Remembers <paramref name="value"/> for <paramref name="id"/>, replacing what was remembered (its age is kept).</summary>
    public void Set(TxId id, TValue value)
    {
        lock (_sync)
        {
            if (_entries.ContainsKey(id))
            {
                _entries[id] = value;
                return;
            }
        }

        TryAdd(id, value);
    }

    /// <summary>What is remembered of <paramref name="id"/>.</summary>
    public bool TryGetValue(TxId id, out TValue value)
    {
        lock (_sync)
        {
            return _entries.TryGetValue(id, out value!);
        }
    }

    /// <summary>Whether <paramref name="id"/> is remembered.</summary>
    public bool ContainsKey(TxId id)
    {
        lock (_sync)
        {
            return _entries.ContainsKey(id);
        }
    }

    /// <summary>A copy of the entries, in no particular order.</summary>
    public List<KeyValuePair<TxId, TValue>> ToList()
    {
        lock (_sync)
        {
            return [.. _entries];
        }
    }
}
