namespace Cohort.Tests.Engines.Conformance;

/// <summary>
/// The participant contract, for the queue engine: an item is a queue; writing version n clears it
/// and enqueues n (clear takes the head exclusively, so writes conflict), and reading peeks.
/// </summary>
public sealed class QueueConformanceTests : EmbeddedEngineConformanceTests
{
    protected override string Resource => "queue:conformance";

    protected override IReadOnlyList<Operation> Write(string item, int n) =>
        [Operation.Create("clear", ("queue", item)), Operation.Create("enqueue", ("queue", item), ("value", n))];

    protected override Operation Read(string item) => Operation.Create("peek", ("queue", item));

    protected override Value Expected(string item, IReadOnlyList<int> committed) => committed.Count == 0 ? Value.Null : Value.From(committed[^1]);
}
