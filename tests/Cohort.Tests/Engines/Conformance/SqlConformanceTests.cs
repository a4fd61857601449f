namespace Cohort.Tests.Engines.Conformance;

/// <summary>The participant contract, for the SQL engine: an item is a row of table <c>items</c>, version n sets its column v to n.</summary>
public sealed class SqlConformanceTests : EmbeddedEngineConformanceTests
{
    protected override string Resource => "sql:conformance";

    protected override IReadOnlyList<Operation> Write(string item, int n) =>
        [Sql("INSERT INTO items (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v", item, n)];

    protected override Operation Read(string item) => Sql("SELECT v FROM items WHERE id = $1", item);

    protected override Value Expected(string item, IReadOnlyList<int> committed) => Value.Map(
        ("columns", Value.List(Value.From("v"))),
        ("rows", committed.Count == 0 ? Value.List() : Value.List(Value.List(Value.From((long)committed[^1])))),
        ("affected", Value.From((long)Math.Min(committed.Count, 1))));

    protected override async ValueTask InitializeAsync(ITransactionalEngine engine)
    {
        var tx = Begin();
        await engine.ApplyAsync(tx, Sql("CREATE TABLE items (id TEXT PRIMARY KEY, v BIGINT NOT NULL)"), default);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), default);
    }

    private static Operation Sql(string text, params Value[] parameters) =>
        Operation.Create("sql", ("sql", text), ("params", Value.List(parameters)));
}
