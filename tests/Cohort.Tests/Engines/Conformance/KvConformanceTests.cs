namespace Cohort.Tests.Engines.Conformance;

/// <summary>The participant contract, for the KV engine: an item is a key, version n is the value n.</summary>
public sealed class KvConformanceTests : EmbeddedEngineConformanceTests
{
    protected override string Resource => "kv:conformance";

    protected override IReadOnlyList<Operation> Write(string item, int n) => [Operation.Create("put", ("key", item), ("value", n))];

    protected override Operation Read(string item) => Operation.Create("get", ("key", item));

    protected override Value Expected(string item, IReadOnlyList<int> committed) => committed.Count == 0 ? Value.Null : Value.From(committed[^1]);
}
