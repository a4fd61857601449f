using System.Collections.Immutable;
using System.Globalization;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>
/// Builders for every engine operation (DESIGN.md §9), for <see cref="CohortClient.BatchAsync(IEnumerable{CohortOperation}, TimeSpan?, string?, CancellationToken)"/>
/// and <see cref="CohortClient.ReadAsync"/>; the typed clients use the same shapes.
/// </summary>
public static class CohortOps
{
    /// <summary>KV: the value of <paramref name="key"/> (null when missing).</summary>
    public static CohortOperation KvGet(string resource, string key) => Op(resource, OperationNames.Get, ("key", key));

    /// <summary>KV: sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public static CohortOperation KvPut(string resource, string key, Value value) => Op(resource, OperationNames.Put, ("key", key), ("value", value));

    /// <summary>KV: deletes <paramref name="key"/>; the result says whether it existed.</summary>
    public static CohortOperation KvDelete(string resource, string key) => Op(resource, OperationNames.Delete, ("key", key));

    /// <summary>KV: up to <paramref name="limit"/> entries whose keys start with <paramref name="prefix"/>, in key order.</summary>
    public static CohortOperation KvScan(string resource, string prefix, int limit = 100) => Op(resource, OperationNames.Scan, ("prefix", prefix), ("limit", limit));

    /// <summary>KV: up to <paramref name="limit"/> entries with keys in [<paramref name="from"/>, <paramref name="to"/>), in key order.</summary>
    public static CohortOperation KvScanRange(string resource, string? from, string? to, int limit = 100)
    {
        var args = new List<(string, Value)> { ("limit", limit) };
        if (from is not null)
        {
            args.Add(("from", from));
        }

        if (to is not null)
        {
            args.Add(("to", to));
        }

        return Op(resource, OperationNames.Scan, [.. args]);
    }

    /// <summary>Queue: appends <paramref name="value"/> to <paramref name="queue"/>.</summary>
    public static CohortOperation Enqueue(string resource, string queue, Value value) => Op(resource, OperationNames.Enqueue, ("queue", queue), ("value", value));

    /// <summary>Queue: takes the head of <paramref name="queue"/> (null when empty).</summary>
    public static CohortOperation Dequeue(string resource, string queue) => Op(resource, OperationNames.Dequeue, ("queue", queue));

    /// <summary>Queue: the head of <paramref name="queue"/> without taking it (null when empty).</summary>
    public static CohortOperation Peek(string resource, string queue) => Op(resource, OperationNames.Peek, ("queue", queue));

    /// <summary>Queue: the number of items in <paramref name="queue"/>.</summary>
    public static CohortOperation QueueSize(string resource, string queue) => Op(resource, OperationNames.Size, ("queue", queue));

    /// <summary>Queue: whether <paramref name="queue"/> is empty.</summary>
    public static CohortOperation QueueIsEmpty(string resource, string queue) => Op(resource, OperationNames.IsEmpty, ("queue", queue));

    /// <summary>Queue: removes every item of <paramref name="queue"/>; the result is how many.</summary>
    public static CohortOperation QueueClear(string resource, string queue) => Op(resource, OperationNames.Clear, ("queue", queue));

    /// <summary>Token resource: sets its symbol and number of decimals (once), with optional extra metadata.</summary>
    public static CohortOperation Initialize(string resource, string symbol, int decimals, IEnumerable<KeyValuePair<string, Value>>? metadata = null)
    {
        var args = ImmutableSortedDictionary.CreateBuilder<string, Value>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? [])
        {
            args[key] = value;
        }

        args["symbol"] = symbol;
        args["decimals"] = decimals;
        return new CohortOperation(resource, Value.Map((OperationNames.Initialize, Value.Map(args.ToImmutable()))));
    }

    /// <summary>Token resource: creates <paramref name="amount"/> in account <paramref name="to"/>.</summary>
    public static CohortOperation Mint(string resource, string to, decimal amount) => Op(resource, OperationNames.Mint, ("to", to), ("amount", Amount(amount)));

    /// <summary>Token resource: destroys <paramref name="amount"/> from account <paramref name="from"/>.</summary>
    public static CohortOperation Burn(string resource, string from, decimal amount) => Op(resource, OperationNames.Burn, ("from", from), ("amount", Amount(amount)));

    /// <summary>Token resource: moves <paramref name="amount"/> from <paramref name="from"/> to <paramref name="to"/>; fails with <c>insufficient_funds</c> on an overdraft.</summary>
    public static CohortOperation Transfer(string resource, string from, string to, decimal amount) =>
        Op(resource, OperationNames.Transfer, ("from", from), ("to", to), ("amount", Amount(amount)));

    /// <summary>Token resource: the balance of <paramref name="account"/> (a decimal string).</summary>
    public static CohortOperation Balance(string resource, string account) => Op(resource, OperationNames.Balance, ("account", account));

    /// <summary>Token resource: the total supply (a decimal string).</summary>
    public static CohortOperation Supply(string resource) => Op(resource, OperationNames.Supply);

    /// <summary>Token resource: all metadata, or one field of it.</summary>
    public static CohortOperation Metadata(string resource, string? field = null) => field is null ? Op(resource, OperationNames.Metadata) : Op(resource, OperationNames.Metadata, ("field", field));

    /// <summary>Token resource: sets metadata fields (not <c>decimals</c>).</summary>
    public static CohortOperation UpdateMetadata(string resource, IEnumerable<KeyValuePair<string, Value>> fields) =>
        new(resource, Value.Map((OperationNames.UpdateMetadata, Value.Map(fields))));

    /// <summary>SQL or PostgreSQL: one statement with <c>$1</c>… parameters.</summary>
    public static CohortOperation Sql(string resource, string sql, params object?[] parameters) =>
        new(resource, Value.Map((OperationNames.Sql, sql), ("params", Value.List((parameters ?? []).Select(ToValue).ToImmutableArray()))));

    /// <summary>
    /// Converts a .NET value to a <see cref="Value"/>: null, bool, integers, float and double, decimal, string, byte[],
    /// <see cref="DateTime"/>/<see cref="DateTimeOffset"/> (ISO-8601 text), <see cref="Guid"/>, a <see cref="Value"/>, lists and
    /// string-keyed dictionaries of these.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>Its <see cref="Value"/>.</returns>
    /// <exception cref="ArgumentException">A type with no mapping.</exception>
    public static Value ToValue(object? value) => value switch
    {
        null => Value.Null,
        Value v => v,
        bool b => b,
        string s => s,
        int i => i,
        long l => l,
        short s16 => (long)s16,
        byte b8 => (long)b8,
        uint u32 => (long)u32,
        ulong u64 when u64 <= long.MaxValue => (long)u64,
        float f => (double)f,
        double d => d,
        decimal m => m,
        byte[] bytes => bytes,
        DateTimeOffset dto => dto.ToString("O", CultureInfo.InvariantCulture),
        DateTime dt => dt.ToString("O", CultureInfo.InvariantCulture),
        Guid g => g.ToString(),
        IEnumerable<KeyValuePair<string, object?>> map => Value.Map(map.Select(kv => new KeyValuePair<string, Value>(kv.Key, ToValue(kv.Value)))),
        IEnumerable<KeyValuePair<string, Value>> map => Value.Map(map),
        System.Collections.IEnumerable list => Value.List(list.Cast<object?>().Select(ToValue).ToImmutableArray()),
        _ => throw new ArgumentException($"A {value.GetType().Name} has no Cohort value; use string, number, bool, byte[], a list or a map.", nameof(value)),
    };

    private static CohortOperation Op(string resource, string name, params ReadOnlySpan<(string Key, Value Value)> args)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        return new CohortOperation(resource, Value.Map((name, Value.Map(args))));
    }

    // Amounts travel as decimal strings: exact, whatever the resource's number of decimals.
    private static string Amount(decimal amount) => amount.ToString(CultureInfo.InvariantCulture);
}
