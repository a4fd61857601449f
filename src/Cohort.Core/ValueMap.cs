using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Cohort.Core;

/// <summary>
/// The content of a map <see cref="Value"/>: an immutable map from string keys to values, in ordinal key order.
/// </summary>
/// <remarks>
/// One sorted array: the maps Cohort handles are small and built once (operation arguments, rows, protocol messages),
/// so a map costs one allocation and a lookup is a binary search. <see cref="Add"/>, <see cref="SetItem"/> and
/// <see cref="Remove"/> copy the array.
/// </remarks>
public sealed class ValueMap : IReadOnlyDictionary<string, Value>
{
    // Up to this many entries a new map is sorted by insertion (stable and allocation-free); beyond it, by index.
    private const int InsertionSortLimit = 16;

    private readonly KeyValuePair<string, Value>[] _entries;

    private ValueMap(KeyValuePair<string, Value>[] entries) => _entries = entries;

    /// <summary>The map with no entries.</summary>
    public static ValueMap Empty { get; } = new([]);

    /// <inheritdoc/>
    public int Count => _entries.Length;

    /// <summary>The entries in ordinal key order.</summary>
    public ReadOnlySpan<KeyValuePair<string, Value>> Entries => _entries;

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _entries.Select(static e => e.Key);

    /// <inheritdoc/>
    public IEnumerable<Value> Values => _entries.Select(static e => e.Value);

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">The map has no such key.</exception>
    public Value this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The map has no key '{key}'.");

    /// <summary>A map of <paramref name="entries"/>; a repeated key keeps its last value.</summary>
    public static ValueMap CreateRange(IEnumerable<KeyValuePair<string, Value>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var array = entries.ToArray();
        return Own(array, array.Length);
    }

    /// <summary>A map of <paramref name="entries"/>; a repeated key keeps its last value.</summary>
    public static ValueMap Create(params ReadOnlySpan<(string Key, Value Value)> entries)
    {
        if (entries.IsEmpty)
        {
            return Empty;
        }

        var array = new KeyValuePair<string, Value>[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            array[i] = new(entries[i].Key ?? throw new ArgumentException("A map key cannot be null.", nameof(entries)), entries[i].Value);
        }

        return Own(array, array.Length);
    }

    /// <inheritdoc/>
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <inheritdoc/>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out Value value)
    {
        var index = IndexOf(key);
        if (index >= 0)
        {
            value = _entries[index].Value;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>This map with <paramref name="key"/> added.</summary>
    /// <exception cref="ArgumentException">The key is present with a different value.</exception>
    public ValueMap Add(string key, Value value)
    {
        var index = IndexOf(key);
        if (index >= 0)
        {
            return _entries[index].Value == value ? this : throw new ArgumentException($"The map already has the key '{key}'.", nameof(key));
        }

        return Insert(~index, key, value);
    }

    /// <summary>This map with <paramref name="key"/> set to <paramref name="value"/>, added or replaced.</summary>
    public ValueMap SetItem(string key, Value value)
    {
        var index = IndexOf(key);
        if (index < 0)
        {
            return Insert(~index, key, value);
        }

        var copy = (KeyValuePair<string, Value>[])_entries.Clone();
        copy[index] = new(key, value);
        return new(copy);
    }

    /// <summary>This map without <paramref name="key"/> (the same map when it has no such key).</summary>
    public ValueMap Remove(string key)
    {
        var index = IndexOf(key);
        if (index < 0)
        {
            return this;
        }

        var copy = new KeyValuePair<string, Value>[_entries.Length - 1];
        _entries.AsSpan(0, index).CopyTo(copy);
        _entries.AsSpan(index + 1).CopyTo(copy.AsSpan(index));
        return new(copy);
    }

    /// <summary>Enumerates the entries in ordinal key order.</summary>
    public Enumerator GetEnumerator() => new(_entries);

    IEnumerator<KeyValuePair<string, Value>> IEnumerable<KeyValuePair<string, Value>>.GetEnumerator() => ((IEnumerable<KeyValuePair<string, Value>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    /// <summary>
    /// Takes <paramref name="buffer"/>'s first <paramref name="count"/> entries (the caller gives the array up), sorts
    /// them, and keeps the last value of a repeated key.
    /// </summary>
    internal static ValueMap Own(KeyValuePair<string, Value>[] buffer, int count)
    {
        if (count == 0)
        {
            return Empty;
        }

        foreach (var entry in buffer.AsSpan(0, count))
        {
            ArgumentNullException.ThrowIfNull(entry.Key, "key");
        }

        var length = count <= InsertionSortLimit ? InsertionSort(buffer, count) : SortByIndex(buffer, count);
        if (length != buffer.Length)
        {
            Array.Resize(ref buffer, length);
        }

        return new(buffer);
    }

    // Stable for equal keys, and a later entry replaces an earlier one: returns the number of distinct keys.
    private static int InsertionSort(KeyValuePair<string, Value>[] items, int count)
    {
        var length = 0;
        for (var i = 0; i < count; i++)
        {
            var item = items[i];
            var j = length - 1;
            var c = 1;
            while (j >= 0 && (c = string.CompareOrdinal(items[j].Key, item.Key)) > 0)
            {
                j--;
            }

            if (j >= 0 && c == 0)
            {
                items[j] = item;
                continue;
            }

            Array.Copy(items, j + 1, items, j + 2, length - j - 1);
            items[j + 1] = item;
            length++;
        }

        return length;
    }

    private static int SortByIndex(KeyValuePair<string, Value>[] items, int count)
    {
        var order = new int[count];
        for (var i = 0; i < count; i++)
        {
            order[i] = i;
        }

        // Ties broken by position, so of a repeated key the last one sorts last and is kept.
        Array.Sort(order, (a, b) => string.CompareOrdinal(items[a].Key, items[b].Key) is var c && c != 0 ? c : a.CompareTo(b));
        var sorted = new KeyValuePair<string, Value>[count];
        var length = 0;
        for (var i = 0; i < count; i++)
        {
            var item = items[order[i]];
            if (length > 0 && string.Equals(sorted[length - 1].Key, item.Key, StringComparison.Ordinal))
            {
                sorted[length - 1] = item;
            }
            else
            {
                sorted[length++] = item;
            }
        }

        sorted.AsSpan(0, length).CopyTo(items);
        return length;
    }

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var entries = _entries;
        int low = 0, high = entries.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var c = string.CompareOrdinal(entries[middle].Key, key);
            if (c == 0)
            {
                return middle;
            }

            if (c < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }

    private ValueMap Insert(int index, string key, Value value)
    {
        var copy = new KeyValuePair<string, Value>[_entries.Length + 1];
        _entries.AsSpan(0, index).CopyTo(copy);
        copy[index] = new(key, value);
        _entries.AsSpan(index).CopyTo(copy.AsSpan(index + 1));
        return new(copy);
    }

    /// <summary>Builds a map entry by entry; a repeated key keeps its last value.</summary>
    public sealed class Builder
    {
        private KeyValuePair<string, Value>[] _items;
        private int _count;

        /// <summary>Creates a builder with room for <paramref name="capacity"/> entries.</summary>
        public Builder(int capacity = 4) => _items = capacity > 0 ? new KeyValuePair<string, Value>[capacity] : [];

        /// <summary>Entries added so far (repeated keys counted each time).</summary>
        public int Count => _count;

        /// <summary>Sets <paramref name="key"/> (a later value replaces an earlier one).</summary>
        public Value this[string key]
        {
            set => Add(key, value);
        }

        /// <summary>Adds an entry (a later value for the same key replaces it).</summary>
        public void Add(string key, Value value)
        {
            ArgumentNullException.ThrowIfNull(key);
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, Math.Max(4, _items.Length * 2));
            }

            _items[_count++] = new(key, value);
        }

        /// <summary>The map; the builder is empty afterwards.</summary>
        public ValueMap ToMap()
        {
            var items = _items;
            var count = _count;
            _items = [];
            _count = 0;
            return Own(items, count);
        }
    }

    /// <summary>Enumerates a map's entries in ordinal key order.</summary>
    public struct Enumerator : IEnumerator<KeyValuePair<string, Value>>
    {
        private readonly KeyValuePair<string, Value>[] _entries;
        private int _index;

        internal Enumerator(KeyValuePair<string, Value>[] entries)
        {
            _entries = entries;
            _index = -1;
        }

        /// <inheritdoc/>
        public readonly KeyValuePair<string, Value> Current => _entries[_index];

        readonly object IEnumerator.Current => Current;

        /// <inheritdoc/>
        public bool MoveNext() => ++_index < _entries.Length;

        /// <inheritdoc/>
        public void Reset() => _index = -1;

        /// <inheritdoc/>
        public readonly void Dispose()
        {
        }
    }
}
