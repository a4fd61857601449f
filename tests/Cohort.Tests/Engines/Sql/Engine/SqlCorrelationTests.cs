namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>
/// A subquery that does not read the enclosing row runs once per statement, even when a subquery nested in it is
/// correlated with it (found by the differential generator: such queries were re-run for every outer row).
/// </summary>
public sealed class SqlCorrelationTests : IAsyncLifetime
{
    private readonly SqlTestDatabase _db = new();

    public async Task InitializeAsync()
    {
        await _db.ScriptAsync("""
            CREATE TABLE orders (id BIGINT PRIMARY KEY, quantity BIGINT);
            CREATE TABLE items (id BIGINT PRIMARY KEY, order_id BIGINT, qty BIGINT);
            INSERT INTO orders VALUES (1, 5), (2, 7), (3, 9), (4, 5);
            INSERT INTO items VALUES (10, 1, 5), (11, 1, 9), (12, 2, 7), (13, 3, 9)
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private const string NestedQuery = """
        SELECT o.id FROM orders o WHERE o.quantity IN (
          SELECT i.qty FROM items i
          WHERE i.id > (SELECT min(i2.id) FROM items i2 WHERE i2.order_id = i.order_id))
        ORDER BY o.id
        """;

    [Fact]
    public async Task InSubqueryWithANestedCorrelatedSubquery_IsPlannedOnce_AndCorrect()
    {
        // Only item 11 (order 1, qty 9) is not the first item of its order: orders with quantity 9.
        Assert.Equal(["3"], (await _db.QueryAsync(NestedQuery)).Lines);
        var plan = (await _db.QueryAsync("EXPLAIN " + NestedQuery)).Lines;
        Assert.Single(plan, l => l == "InitPlan");
        Assert.Single(plan, l => l == "SubPlan (correlated)");
    }

    [Fact]
    public async Task NestedSubqueryReachingTheOutermostRow_MakesTheMiddleOneCorrelated()
    {
        // The innermost subquery reads o.quantity two levels up: the middle subquery must run per order.
        const string query = """
            SELECT o.id FROM orders o WHERE EXISTS (
              SELECT 1 FROM items i WHERE i.order_id = o.id AND EXISTS (
                SELECT 1 FROM items i2 WHERE i2.id = i.id AND i2.qty = o.quantity))
            ORDER BY o.id
            """;
        Assert.Equal(["1", "2", "3"], (await _db.QueryAsync(query)).Lines);
        var plan = (await _db.QueryAsync("EXPLAIN " + query)).Lines;
        Assert.Equal(2, plan.Count(l => l == "SubPlan (correlated)"));
    }
}
