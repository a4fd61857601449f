namespace Cohort.Tests.Engines.Conformance;

/// <summary>The participant contract, for the SQL engine: an item is a row of table <c>items</c>, version n sets its column v to n.</summary>
public sealed class SqlConformanceTests : EmbeddedEngineConformanceTests
{
    protected override string Resource => "sql:conformance";

    protected override IReadOnlyList<Operation> Write(string item, int n) => SqlItems.Write(item, n);

    protected override Operation Read(string item) => SqlItems.Read(item);

    protected override Value Expected(string item, IReadOnlyList<int> committed) => SqlItems.Expected(committed);

    protected override async ValueTask InitializeAsync(ITransactionalEngine engine)
    {
        var tx = Begin();
        await engine.ApplyAsync(tx, SqlItems.Sql(SqlItems.CreateTable), default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
    }
}
