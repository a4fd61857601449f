using System.Collections.Frozen;

namespace Cohort.Core;

/// <summary>
/// The operation vocabulary (DESIGN.md §9): every operation name an engine runs, and which of them only read. The engines
/// dispatch on these names, the client builds operations from them, and the coordinator asks
/// <see cref="OnlyReads(Operation)"/> when it must know before anything ran (a batch's one round trip).
/// </summary>
public static class OperationNames
{
    /// <summary>KV: the value of a key.</summary>
    public const string Get = "get";

    /// <summary>KV: sets a key.</summary>
    public const string Put = "put";

    /// <summary>KV: deletes a key.</summary>
    public const string Delete = "delete";

    /// <summary>KV: entries by prefix or range, in key order.</summary>
    public const string Scan = "scan";

    /// <summary>Queue: appends an item.</summary>
    public const string Enqueue = "enqueue";

    /// <summary>Queue: takes the head.</summary>
    public const string Dequeue = "dequeue";

    /// <summary>Queue: the head without taking it.</summary>
    public const string Peek = "peek";

    /// <summary>Queue: the number of items.</summary>
    public const string Size = "size";

    /// <summary>Queue: whether it holds no item.</summary>
    public const string IsEmpty = "is_empty";

    /// <summary>Queue: removes every item.</summary>
    public const string Clear = "clear";

    /// <summary>Token resource: sets name, symbol, decimals and supply once.</summary>
    public const string Initialize = "initialize";

    /// <summary>Token resource: creates an amount in an account.</summary>
    public const string Mint = "mint";

    /// <summary>Token resource: destroys an amount from an account.</summary>
    public const string Burn = "burn";

    /// <summary>Token resource: moves an amount between accounts.</summary>
    public const string Transfer = "transfer";

    /// <summary>Token resource: an account's balance.</summary>
    public const string Balance = "balance";

    /// <summary>Token resource: the total supply.</summary>
    public const string Supply = "supply";

    /// <summary>Token resource: the metadata, or one field of it.</summary>
    public const string Metadata = "metadata";

    /// <summary>Token resource: changes one metadata field.</summary>
    public const string UpdateMetadata = "update_metadata";

    /// <summary>SQL (embedded and PostgreSQL): <c>{"sql": text, "params": [...]}</c>.</summary>
    public const string Sql = "sql";

    /// <summary>SQL (embedded and PostgreSQL): the seed's payload <c>{"table", "operation", "data", "where"}</c>.</summary>
    public const string Payload = "payload";

    private static readonly FrozenSet<string> Reads = FrozenSet.Create(StringComparer.Ordinal, Get, Scan, Peek, Size, IsEmpty, Balance, Supply, Metadata);

    /// <summary>Every operation name, writers and readers.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        Get, Put, Delete, Scan, Enqueue, Dequeue, Peek, Size, IsEmpty, Clear, Initialize, Mint, Burn, Transfer, Balance, Supply,
        Metadata, UpdateMetadata, Sql, Payload,
    ];

    /// <summary>
    /// Whether <paramref name="name"/> is declared read-only: an engine never writes running it. SQL text is not
    /// inspected (a SELECT may call a function that writes), so <see cref="Sql"/> and <see cref="Payload"/> count as writers.
    /// </summary>
    public static bool OnlyReads(string name) => Reads.Contains(name);

    /// <summary>Whether <paramref name="operation"/> is declared read-only (see <see cref="OnlyReads(string)"/>).</summary>
    public static bool OnlyReads(Operation operation) => OnlyReads(operation.Name);
}
