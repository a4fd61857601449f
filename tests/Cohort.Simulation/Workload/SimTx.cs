namespace Cohort.Simulation.Workload;

/// <summary>What a client was told about a transaction.</summary>
internal enum Told
{
    /// <summary>The client never asked for a commit (an operation failed first): the transaction must not commit.</summary>
    NotCommitted,

    /// <summary>The client asked and got no answer (the coordinator died, the call was lost): either outcome is fine.</summary>
    NoAnswer,

    Committed,

    Aborted,

    /// <summary>The coordinator said it does not know yet: either outcome is fine, but it must settle.</summary>
    InDoubt,
}

/// <summary>The kinds of transaction the workload runs.</summary>
internal enum TxKind
{
    /// <summary>Leaves a marker on each of 1–3 resources (KV put, enqueue, mint): atomicity is checked per marker.</summary>
    Marker,

    /// <summary>Moves money between two KV accounts by read-modify-write, and leaves a marker beside each write.</summary>
    Transfer,

    /// <summary>Reads lists and appends its ordinal to some (list-append, for the serializability check).</summary>
    Append,

    /// <summary>Reads lists on both KV resources at one snapshot timestamp, without locks.</summary>
    Snapshot,
}

/// <summary>One planned transaction of the workload and what became of it.</summary>
internal sealed class SimTx(int ordinal, TxKind kind, IReadOnlyList<string> resources, bool batch)
{
    public int Ordinal { get; } = ordinal;

    public TxKind Kind { get; } = kind;

    /// <summary>The resources that carry its markers.</summary>
    public IReadOnlyList<string> Resources { get; } = resources;

    public bool Batch { get; } = batch;

    /// <summary>For transfers: the two accounts (resource, key) and the amount.</summary>
    public (string Resource, string Key) From { get; init; }

    public (string Resource, string Key) To { get; init; }

    public long Amount { get; init; }

    /// <summary>For list-append and snapshot transactions: the micro-operations, in order.</summary>
    public IReadOnlyList<(bool Append, string Resource, string Key)> Micro { get; init; } = [];

    /// <summary>What each read saw: the list of a key, in append order.</summary>
    public List<(string Resource, string Key, long[] List)> Reads { get; } = [];

    /// <summary>Hot key written too (contention), if any.</summary>
    public string? Hot { get; init; }

    public Told Told { get; set; } = Told.NotCommitted;

    public string? Detail { get; set; }

    public override string ToString() =>
        $"#{Ordinal} {Kind}{(Batch ? " batch" : "")} on {string.Join(",", Resources)} told {Told}{(Detail is null ? "" : $" ({Detail})")}";
}
