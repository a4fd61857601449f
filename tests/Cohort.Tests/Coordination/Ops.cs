namespace Cohort.Tests.Coordination;

/// <summary>Operations used by the coordination tests.</summary>
internal static class Ops
{
    public static Operation Put(string key, Value value) => Operation.Create(OperationNames.Put, ("key", Value.From(key)), ("value", value));

    public static Operation Get(string key) => Operation.Create(OperationNames.Get, ("key", Value.From(key)));

    public static Operation Enqueue(string queue, Value value) => Operation.Create(OperationNames.Enqueue, ("queue", Value.From(queue)), ("value", value));

    public static Operation Size(string queue) => Operation.Create(OperationNames.Size, ("queue", Value.From(queue)));

    public static Operation Peek(string queue) => Operation.Create(OperationNames.Peek, ("queue", Value.From(queue)));

    public static Operation Transfer(string from, string to, string amount) =>
        Operation.Create(OperationNames.Transfer, ("from", Value.From(from)), ("to", Value.From(to)), ("amount", Value.From(amount)));

    public static Operation Mint(string to, string amount) => Operation.Create(OperationNames.Mint, ("to", Value.From(to)), ("amount", Value.From(amount)));

    public static Operation Balance(string account) => Operation.Create(OperationNames.Balance, ("account", Value.From(account)));
}
