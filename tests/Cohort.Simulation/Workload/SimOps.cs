namespace Cohort.Simulation.Workload;

/// <summary>The operations the simulated workload sends.</summary>
internal static class SimOps
{
    public static Operation Put(string key, Value value) => Operation.Create(OperationNames.Put, ("key", Value.From(key)), ("value", value));

    public static Operation Get(string key) => Operation.Create(OperationNames.Get, ("key", Value.From(key)));

    public static Operation Size(string queue) => Operation.Create(OperationNames.Size, ("queue", Value.From(queue)));

    public static Operation Balance(string account) => Operation.Create(OperationNames.Balance, ("account", Value.From(account)));

    /// <summary>The marker transaction <paramref name="ordinal"/> leaves on <paramref name="resource"/>.</summary>
    public static Operation Marker(string resource, int ordinal) => resource switch
    {
        "queue:q" => Operation.Create(OperationNames.Enqueue, ("queue", Value.From($"q-{ordinal}")), ("value", ordinal)),
        "resource:r" => Operation.Create(OperationNames.Mint, ("to", Value.From($"a-{ordinal}")), ("amount", Value.From("1"))),
        _ => Put($"m-{ordinal}", ordinal),
    };
}
