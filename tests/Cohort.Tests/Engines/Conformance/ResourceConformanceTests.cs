namespace Cohort.Tests.Engines.Conformance;

/// <summary>
/// The participant contract, for the token engine: balances never conflict (credits commute, debits
/// reserve), so the contract's conflicting write is a metadata field, which takes the metadata
/// exclusively. Balances have their own tests in ResourceEngineTests.
/// </summary>
public sealed class ResourceConformanceTests : EmbeddedEngineConformanceTests
{
    protected override string Resource => "resource:conformance";

    protected override IReadOnlyList<Operation> Write(string item, int n) => [Operation.Create("update_metadata", (item, n))];

    protected override Operation Read(string item) => Operation.Create("metadata", ("field", item));

    protected override Value Expected(string item, IReadOnlyList<int> committed) => committed.Count == 0 ? Value.Null : Value.From(committed[^1]);

    protected override async ValueTask InitializeAsync(ITransactionalEngine engine)
    {
        var tx = Begin();
        await engine.ApplyAsync(tx, Operation.Create("initialize", ("symbol", "PTS"), ("decimals", 2)), default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
    }
}
