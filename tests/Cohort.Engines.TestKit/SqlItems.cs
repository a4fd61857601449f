namespace Cohort.Engines.TestKit;

/// <summary>
/// The conformance suite's items for SQL engines (embedded and PostgreSQL run the same statements): an item is a row
/// of table <c>items</c>, and version n sets its column <c>v</c> to n.
/// </summary>
public static class SqlItems
{
    /// <summary>The table every SQL engine's suite creates first.</summary>
    public const string CreateTable = "CREATE TABLE items (id TEXT PRIMARY KEY, v BIGINT NOT NULL)";

    /// <summary>Sets <paramref name="item"/>'s version to <paramref name="n"/>.</summary>
    public static IReadOnlyList<Operation> Write(string item, int n) =>
        [Sql("INSERT INTO items (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v", item, n)];

    /// <summary>Reads <paramref name="item"/>'s version.</summary>
    public static Operation Read(string item) => Sql("SELECT v FROM items WHERE id = $1", item);

    /// <summary>What <see cref="Read"/> answers after the versions <paramref name="committed"/> (the last one wins).</summary>
    public static Value Expected(IReadOnlyList<int> committed) => Value.Map(
        ("columns", Value.List(Value.From("v"))),
        ("rows", committed.Count == 0 ? Value.List() : Value.List(Value.List(Value.From((long)committed[^1])))),
        ("affected", Value.From((long)Math.Min(committed.Count, 1))));

    /// <summary>A SQL operation with positional parameters.</summary>
    public static Operation Sql(string text, params Value[] parameters) =>
        Operation.Create(OperationNames.Sql, ("sql", text), ("params", Value.List(parameters)));
}
