using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// Cohort's SQL engine against a real PostgreSQL 15 on generated queries over set operations (UNION, INTERSECT, EXCEPT,
/// with and without ALL, mixed with WHERE, DISTINCT, ORDER BY, LIMIT, aggregates and subqueries), common table
/// expressions (recursive ones too: counting, tree walks), VALUES and CREATE TABLE AS (made in the setup, then read).
/// Every query runs in both and the results must agree: the same rows (in order when the query orders them, over every
/// output column so the order is total), numbers within a floating-point tolerance, and an error on one side only when
/// the other errs too.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class PostgresSetOperationDifferentialTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 1515;
    private const int QueryCount = 1000;

    // Tables of the same shape with overlapping rows, duplicates and NULLs; a tree for recursive walks; and the tables
    // CREATE TABLE AS makes from them (read back by the queries).
    private static readonly string[] Setup =
    [
        "CREATE TABLE sa (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, n NUMERIC(8, 2), f DOUBLE PRECISION, g BIGINT)",
        "CREATE TABLE sb (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, n NUMERIC(8, 2), f DOUBLE PRECISION, g BIGINT)",
        "INSERT INTO sa VALUES (1, 1, 'x', 1.50, 0.5, 10), (2, 2, 'y', 2.00, 1.5, 20), (3, 2, 'y', 2.00, 1.5, 20), (4, 3, NULL, NULL, NULL, 30)",
        "INSERT INTO sa VALUES (5, NULL, 'z', 3.25, -2, NULL), (6, 4, 'x', 1.50, 0.5, 10), (7, NULL, NULL, NULL, NULL, NULL), (8, 5, 'w', 0, 0, 5)",
        "INSERT INTO sb VALUES (1, 2, 'y', 2.00, 1.5, 20), (2, 2, 'y', 2.00, 1.5, 20), (3, 3, 'v', 4.75, 3, 30), (4, NULL, NULL, NULL, NULL, NULL)",
        "INSERT INTO sb VALUES (5, 6, 'x', 1.50, 0.5, 60), (6, 1, 'x', 1.50, 0.5, 10), (7, 7, 'u', -1.25, 8.25, 70), (8, 3, 'v', 4.75, 3, 30)",
        "CREATE TABLE tree (id INTEGER PRIMARY KEY, parent INTEGER, name TEXT)",
        "INSERT INTO tree VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b'), (4, 2, 'aa'), (5, 2, 'ab'), (6, 3, 'ba'), (7, 4, 'aaa'), (8, 7, 'aaaa'), (9, 6, 'baa'), (10, NULL, 'other'), (11, 10, 'oa')",
        "CREATE TABLE c_union AS SELECT a, b FROM sa UNION SELECT a, b FROM sb",
        "CREATE TABLE c_all (x, y) AS SELECT a, n FROM sa UNION ALL SELECT a, n FROM sb",
        "CREATE TABLE c_mixed AS SELECT a AS v FROM sa UNION SELECT n FROM sb",
        "CREATE TABLE c_values AS VALUES (1, 'one', 1.5), (2, 'two', NULL), (3, NULL, 2)",
        "CREATE TABLE c_agg AS SELECT b, count(*) AS c, sum(a) AS s, avg(n) AS m, max(f) AS mf FROM sa GROUP BY b",
        "CREATE TABLE c_cte AS WITH RECURSIVE r(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM r WHERE k < 12) SELECT k, k * k AS sq FROM r",
        "CREATE TABLE c_lit AS SELECT 'text' AS t, 7 AS i, 2.5 AS d, true AS flag, NULL::integer AS z",
        "CREATE TABLE c_empty AS SELECT a, b FROM sa WHERE id > 100",
        "CREATE TABLE IF NOT EXISTS c_union AS SELECT 1 AS other",
        "CREATE TABLE c_except AS SELECT a FROM sa EXCEPT ALL SELECT a FROM sb",
        "CREATE TABLE c_tree AS WITH RECURSIVE d AS (SELECT id, name, 0 AS depth FROM tree WHERE parent IS NULL UNION ALL SELECT t.id, t.name, d.depth + 1 FROM tree t JOIN d ON t.parent = d.id) SELECT * FROM d",
    ];

    private static readonly string[] CreatedTables = ["c_union", "c_all", "c_mixed", "c_values", "c_agg", "c_cte", "c_lit", "c_empty", "c_except", "c_tree"];

    [Fact]
    public async Task GeneratedQueries_AgreeWithPostgres()
    {
        var queries = new QueryGenerator(new Random(Seed)).Generate(QueryCount);
        var report = await PostgresDifferential.RunAsync(fixture.Server, "setops", Setup, queries);
        report.WriteTo(output, $"seed {Seed}");
        Assert.True(queries.Count >= 800, $"only {queries.Count} queries were generated");
        report.AssertAgreed();
    }

    /// <summary>Queries from a seed: fixed ones first (every form once), then random mixes.</summary>
    private sealed class QueryGenerator(Random random)
    {
        private static readonly string[] Operators = ["UNION", "UNION ALL", "INTERSECT", "INTERSECT ALL", "EXCEPT", "EXCEPT ALL"];
        private static readonly string[] Tables = ["sa", "sb"];
        private static readonly string[] Conditions =
        [
            "a > 1", "a IS NULL", "a IS NOT NULL", "b = 'x'", "b <> 'y'", "n >= 1.5", "f < 1", "g BETWEEN 10 AND 30", "id % 2 = 0",
            "a IN (1, 2, 3)", "b IS NULL OR a < 3", "id > 4",
        ];

        // Columns of each kind, and literals of each kind, so operands line up with the same or compatible types.
        private static readonly string[] IntColumns = ["a", "id", "g"];
        private static readonly string[] NumberColumns = ["n", "f", "a", "g"];
        private static readonly string[] IntLiterals = ["1", "2", "7", "NULL", "-3"];
        private static readonly string[] TextLiterals = ["'x'", "'y'", "'q'", "NULL"];

        public List<string> Generate(int count)
        {
            var queries = new List<string>(Fixed());
            while (queries.Count < count)
            {
                queries.Add(random.Next(14) switch
                {
                    0 or 1 or 2 => SetOperation(),
                    3 => ThreeWay(),
                    4 => MixedTypes(),
                    5 => InSubquery(),
                    6 => DerivedAggregate(),
                    7 => Cte(),
                    8 => RecursiveCount(),
                    9 => TreeWalk(),
                    10 => Values(),
                    11 => CreatedTable(),
                    12 => ParenthesizedOperands(),
                    _ => CorrelatedSetOperation(),
                });
            }

            return queries;
        }

        private static IEnumerable<string> Fixed()
        {
            foreach (var op in Operators)
            {
                yield return $"SELECT a FROM sa {op} SELECT a FROM sb ORDER BY 1";
                yield return $"SELECT a, b FROM sa {op} SELECT a, b FROM sb";
                yield return $"SELECT b FROM sb {op} SELECT b FROM sa ORDER BY b DESC NULLS LAST";
                yield return $"SELECT a, b, n, f, g FROM sa {op} SELECT a, b, n, f, g FROM sb";
            }

            // Precedence: INTERSECT binds tighter; left-associative otherwise.
            yield return "SELECT a FROM sa UNION SELECT a FROM sb INTERSECT SELECT 2 ORDER BY 1";
            yield return "(SELECT a FROM sa UNION SELECT a FROM sb) INTERSECT SELECT 2 ORDER BY 1";
            yield return "SELECT a FROM sa EXCEPT SELECT a FROM sb EXCEPT SELECT 5 ORDER BY 1";
            yield return "SELECT a FROM sa EXCEPT (SELECT a FROM sb EXCEPT SELECT 3) ORDER BY 1";
            yield return "SELECT a FROM sa INTERSECT ALL SELECT a FROM sb UNION ALL SELECT a FROM sb ORDER BY 1";
            yield return "SELECT 1 UNION SELECT 1 UNION ALL SELECT 1";
            yield return "SELECT 1 UNION ALL SELECT 1 UNION SELECT 1";

            // Errors: widths, types, ORDER BY.
            yield return "SELECT a, b FROM sa UNION SELECT a FROM sb";
            yield return "SELECT a FROM sa INTERSECT SELECT a, b FROM sb";
            yield return "SELECT a FROM sa UNION SELECT b FROM sb";
            yield return "SELECT b FROM sa EXCEPT SELECT n FROM sb";
            yield return "SELECT 1 UNION SELECT 'x'";
            yield return "SELECT 1 UNION SELECT '2' ORDER BY 1";
            yield return "SELECT NULL UNION SELECT 1 ORDER BY 1";
            yield return "SELECT NULL UNION SELECT NULL";
            yield return "SELECT NULL UNION SELECT NULL UNION SELECT 1";
            yield return "SELECT 'a' UNION SELECT 'b' ORDER BY 1";
            yield return "SELECT true UNION SELECT a > 2 FROM sa";
            yield return "SELECT true UNION SELECT 1";
            yield return "SELECT a FROM sa UNION SELECT a FROM sb ORDER BY 2";
            yield return "SELECT a FROM sa UNION SELECT a FROM sb ORDER BY zz";
            yield return "SELECT a FROM sa UNION SELECT a FROM sb ORDER BY a + 1";
            yield return "SELECT a FROM sa UNION SELECT a FROM sb ORDER BY sa.a";
            yield return "SELECT a AS k FROM sa UNION SELECT id FROM sb ORDER BY k DESC LIMIT 3";
            yield return "SELECT a FROM sa ORDER BY a UNION SELECT a FROM sb";
            yield return "(SELECT a FROM sa ORDER BY a LIMIT 2) UNION ALL (SELECT a FROM sb ORDER BY a DESC NULLS LAST LIMIT 2) ORDER BY 1";
            yield return "(SELECT a FROM sa ORDER BY 1) ORDER BY 1";
            yield return "SELECT a FROM sa UNION SELECT a FROM sb LIMIT 2 OFFSET 1";
            yield return "SELECT a FROM sa UNION SELECT a FROM sb ORDER BY 1 LIMIT 2 OFFSET 1";

            // Result types.
            yield return "SELECT a FROM sa UNION SELECT n FROM sb ORDER BY 1";
            yield return "SELECT x / 2 FROM (SELECT a AS x FROM sa UNION SELECT g FROM sb) t ORDER BY 1";
            yield return "SELECT x / 2 FROM (SELECT a AS x FROM sa UNION SELECT n FROM sb) t ORDER BY 1";
            yield return "SELECT x / 2 FROM (SELECT a AS x FROM sa UNION SELECT f FROM sb) t ORDER BY 1";
            yield return "SELECT x / 2 FROM (SELECT 1 AS x UNION SELECT 2) t ORDER BY 1";
            yield return "SELECT x / 2 FROM (SELECT 1 AS x UNION SELECT 2.0) t ORDER BY 1";
            yield return "SELECT x || 'z' FROM (SELECT b AS x FROM sa UNION SELECT 'q') t ORDER BY 1";
            yield return "SELECT x + 1 FROM (SELECT '5' AS x UNION SELECT a FROM sa) t ORDER BY 1";
            yield return "SELECT 1 UNION SELECT 1.0";
            yield return "SELECT 1.0 INTERSECT SELECT 1";
            yield return "SELECT 2 EXCEPT SELECT 2.00";
            yield return "SELECT NULL::integer INTERSECT SELECT NULL";
            yield return "SELECT a, NULL FROM sa UNION SELECT NULL, b FROM sb ORDER BY 1, 2";

            // Subqueries.
            yield return "SELECT id FROM sa WHERE a IN (SELECT a FROM sb UNION SELECT 5) ORDER BY id";
            yield return "SELECT id FROM sa WHERE a NOT IN (SELECT a FROM sb WHERE a IS NOT NULL EXCEPT SELECT 2) ORDER BY id";
            yield return "SELECT id FROM sa WHERE a IN ((SELECT a FROM sb) INTERSECT (SELECT 2)) ORDER BY id";
            yield return "SELECT id FROM sa WHERE EXISTS (SELECT a FROM sb WHERE sb.a = sa.a INTERSECT SELECT 3) ORDER BY id";
            yield return "SELECT id, (SELECT max(x) FROM (SELECT a AS x FROM sb UNION ALL SELECT sa.a) u) FROM sa ORDER BY id";
            yield return "SELECT (SELECT a FROM sa WHERE id = 1 UNION SELECT a FROM sb WHERE id = 6)";
            yield return "SELECT (SELECT a FROM sa UNION SELECT a FROM sb)";
            yield return "SELECT ((SELECT 1) UNION (SELECT 2) ORDER BY 1 DESC LIMIT 1)";
            yield return "SELECT count(*) FROM (SELECT a FROM sa UNION SELECT a FROM sb) AS u";
            yield return "SELECT * FROM ((SELECT a FROM sa) EXCEPT (SELECT a FROM sb)) AS u ORDER BY 1";

            // WITH.
            yield return "WITH c AS (SELECT a, b FROM sa WHERE a > 1) SELECT * FROM c ORDER BY a, b";
            yield return "WITH c(p, q) AS (SELECT a, b FROM sa) SELECT q, p FROM c WHERE p IS NOT NULL ORDER BY p, q";
            yield return "WITH c(p) AS (SELECT a, b FROM sa) SELECT p, b FROM c ORDER BY 1, 2";
            yield return "WITH c(p, q, r) AS (SELECT a, b FROM sa) SELECT * FROM c";
            yield return "WITH c AS (SELECT a FROM sa), d AS (SELECT a FROM c WHERE a > 2) SELECT * FROM d ORDER BY 1";
            yield return "WITH c AS (SELECT a FROM sa) SELECT x.a, y.a FROM c x JOIN c y ON x.a = y.a + 1 ORDER BY 1, 2";
            yield return "WITH c AS (SELECT a FROM sa UNION SELECT a FROM sb) SELECT count(*), sum(a) FROM c";
            yield return "WITH sa AS (SELECT 42 AS a) SELECT a FROM sa";
            yield return "WITH c AS (SELECT a FROM sa), c AS (SELECT a FROM sb) SELECT * FROM c";
            yield return "WITH c AS (SELECT * FROM missing_table) SELECT 1";
            yield return "WITH c AS (SELECT 1 / 0 AS z) SELECT 1";
            yield return "WITH c AS (SELECT 1 / 0 AS z) SELECT * FROM c";
            yield return "SELECT id FROM sa WHERE a IN (WITH c AS (SELECT a FROM sb WHERE id > 4) SELECT a FROM c) ORDER BY id";
            yield return "SELECT * FROM (WITH c AS (SELECT b FROM sb) SELECT b FROM c WHERE b > 'u') AS t ORDER BY 1";
            yield return "WITH c AS (SELECT a FROM sa) SELECT a FROM c UNION SELECT a + 100 FROM c ORDER BY 1";
            yield return "WITH d AS (SELECT a FROM sa) SELECT * FROM sb WHERE a IN (SELECT a FROM d) ORDER BY id";
            yield return "WITH c AS (SELECT a FROM sa) SELECT (SELECT count(*) FROM c) AS k";

            // WITH RECURSIVE.
            yield return "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r ORDER BY n";
            yield return "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r LIMIT 5";
            yield return "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT (n * 3) % 7 FROM r) SELECT n FROM r ORDER BY n";
            yield return "WITH RECURSIVE fib(i, x, y) AS (SELECT 1, 0::bigint, 1::bigint UNION ALL SELECT i + 1, y, x + y FROM fib WHERE i < 40) SELECT i, x FROM fib ORDER BY i";
            yield return "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 0.5 FROM r WHERE n < 3) SELECT n FROM r";
            yield return "WITH RECURSIVE r(n) AS (SELECT 1.0 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r ORDER BY n";
            yield return "WITH RECURSIVE r(s) AS (SELECT 'a' UNION ALL SELECT s || 'a' FROM r WHERE length(s) < 4) SELECT s FROM r ORDER BY s";
            yield return "WITH RECURSIVE r(n) AS (SELECT n FROM r UNION ALL SELECT 1) SELECT * FROM r";
            yield return "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT count(*) FROM r) SELECT * FROM r";
            yield return "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT a.n FROM r a JOIN r b ON a.n = b.n) SELECT * FROM r";
            yield return "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT 2 WHERE EXISTS (SELECT 1 FROM r)) SELECT * FROM r";
            yield return "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1, n FROM r WHERE n < 3) SELECT * FROM r";
            yield return "WITH RECURSIVE r AS (SELECT 5 AS n) SELECT n FROM r";
            yield return "WITH RECURSIVE d AS (SELECT id, name, 0 AS depth FROM tree WHERE id = 1 UNION ALL SELECT t.id, t.name, d.depth + 1 FROM tree t JOIN d ON t.parent = d.id) SELECT id, name, depth FROM d ORDER BY id";
            yield return "WITH RECURSIVE up AS (SELECT id, parent FROM tree WHERE id = 8 UNION SELECT t.id, t.parent FROM tree t JOIN up ON t.id = up.parent) SELECT id FROM up ORDER BY id";
            yield return "WITH RECURSIVE p(id, path) AS (SELECT id, name FROM tree WHERE parent IS NULL UNION ALL SELECT t.id, p.path || '/' || t.name FROM tree t JOIN p ON t.parent = p.id) SELECT id, path FROM p ORDER BY path";

            // VALUES.
            yield return "VALUES (1, 'a'), (2, 'b')";
            yield return "VALUES (1, 'a'), (2, 'b') ORDER BY 1 DESC";
            yield return "VALUES (3), (1), (2) ORDER BY column1 LIMIT 2";
            yield return "VALUES (1), (2) ORDER BY column1 + 0 DESC";
            yield return "VALUES (1), ('a')";
            yield return "VALUES (1), (2.5) ORDER BY 1";
            yield return "VALUES (NULL), ('a'), (NULL) ORDER BY 1";
            yield return "VALUES (NULL, 1), (2, NULL) ORDER BY 1";
            yield return "VALUES (1, 2), (3)";
            yield return "VALUES ('1'), (2) ORDER BY 1";
            yield return "VALUES (true), (1 > 2) ORDER BY 1";
            yield return "SELECT * FROM (VALUES (1, 'one'), (2, 'two'), (3, NULL)) AS v(k, w) ORDER BY k";
            yield return "SELECT k * 2, w FROM (VALUES (1, 'one'), (2, 'two')) AS v(k, w) WHERE k > 1";
            yield return "SELECT column1, column2 FROM (VALUES (1, 'one'), (2, 'two')) AS v ORDER BY 1";
            yield return "SELECT * FROM (VALUES (1, 2)) AS v(p, q, r)";
            yield return "SELECT sa.id, v.w FROM sa JOIN (VALUES (1, 'one'), (2, 'two'), (5, 'five')) AS v(k, w) ON sa.a = v.k ORDER BY sa.id";
            yield return "SELECT a FROM sa UNION VALUES (100), (1) ORDER BY 1";
            yield return "VALUES (1) UNION ALL VALUES (1) UNION VALUES (2)";
            yield return "SELECT id FROM sa WHERE a IN (VALUES (1), (3)) ORDER BY id";
            yield return "SELECT (VALUES (7))";
            yield return "SELECT x / 2 FROM (VALUES (1), (2.0)) AS v(x) ORDER BY 1";
            yield return "VALUES (1, (SELECT max(a) FROM sa)), (2, 3) ORDER BY 1";
            yield return "VALUES (count(*))";

            // CREATE TABLE AS: contents and the column types they got.
            foreach (var table in CreatedTables)
            {
                yield return $"SELECT * FROM {table}";
            }

            yield return "SELECT a / 2, b FROM c_union ORDER BY 1, 2";
            yield return "SELECT x / 2, y / 2 FROM c_all ORDER BY 1, 2";
            yield return "SELECT v / 2 FROM c_mixed ORDER BY 1";
            yield return "SELECT column1 / 2, column2 || '!', column3 / 2 FROM c_values ORDER BY 1";
            yield return "SELECT b, c / 2, s / 2, m, mf FROM c_agg ORDER BY b";
            yield return "SELECT k, sq FROM c_cte WHERE sq > 50 ORDER BY k";
            yield return "SELECT t || '!', i / 2, d / 2, NOT flag, z FROM c_lit";
            yield return "SELECT count(*) FROM c_empty";
            yield return "SELECT other FROM c_union";
            yield return "SELECT id, name, depth FROM c_tree ORDER BY id";
        }

        private string Table() => Tables[random.Next(Tables.Length)];

        private string Operator() => Operators[random.Next(Operators.Length)];

        // A select list shape: each position an int, a number or a text column (or literal of the kind).
        private string[] Shape() => [.. Enumerable.Range(0, random.Next(1, 4)).Select(_ => new[] { "I", "N", "T" }[random.Next(3)])];

        private string Item(string kind)
        {
            var literal = random.Next(8) == 0;
            return kind switch
            {
                "I" => literal ? IntLiterals[random.Next(IntLiterals.Length)] : IntColumns[random.Next(IntColumns.Length)],
                "N" => literal ? new[] { "1.5", "2", "NULL", "0.25" }[random.Next(4)] : NumberColumns[random.Next(NumberColumns.Length)],
                _ => literal ? TextLiterals[random.Next(TextLiterals.Length)] : random.Next(3) == 0 ? "upper(b)" : "b",
            };
        }

        private string Select(string[] shape, bool allowDistinct = true)
        {
            var distinct = allowDistinct && random.Next(6) == 0 ? "DISTINCT " : "";
            var where = random.Next(3) == 0 ? "" : $" WHERE {Conditions[random.Next(Conditions.Length)]}";
            return $"SELECT {distinct}{string.Join(", ", shape.Select(Item))} FROM {Table()}{where}";
        }

        private string OrderAll(int width) => " ORDER BY " + string.Join(", ", Enumerable.Range(1, width).Select(i =>
            random.Next(3) == 0 ? $"{i} DESC" : random.Next(4) == 0 ? $"{i} NULLS FIRST" : i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        private string Tail(int width)
        {
            var order = random.Next(2) == 0 ? OrderAll(width) : "";
            var limit = order.Length > 0 && random.Next(3) == 0 ? $" LIMIT {random.Next(0, 6)}" + (random.Next(2) == 0 ? $" OFFSET {random.Next(0, 4)}" : "") : "";
            return order + limit;
        }

        private string SetOperation()
        {
            var shape = Shape();
            return $"{Select(shape)} {Operator()} {Select(shape)}{Tail(shape.Length)}";
        }

        private string ThreeWay()
        {
            var shape = Shape();
            var first = Select(shape);
            var second = Select(shape);
            var third = random.Next(4) == 0 ? $"VALUES ({string.Join(", ", shape.Select(k => k == "T" ? "'x'" : "2"))})" : Select(shape);
            return random.Next(3) switch
            {
                0 => $"({first} {Operator()} {second}) {Operator()} {third}{Tail(shape.Length)}",
                1 => $"{first} {Operator()} ({second} {Operator()} {third}){Tail(shape.Length)}",
                _ => $"{first} {Operator()} {second} {Operator()} {third}{Tail(shape.Length)}",
            };
        }

        private string MixedTypes()
        {
            string[] items = ["a", "n", "f", "g", "b", "id", "1", "2.5", "'7'", "NULL", "'x'", "a > 1", "true", "upper(b)", "a + n", "g * 2", "CAST(a AS TEXT)", "length(b)"];
            var left = items[random.Next(items.Length)];
            var right = items[random.Next(items.Length)];
            var query = $"SELECT {left} FROM sa {Operator()} SELECT {right} FROM sb";
            return random.Next(2) == 0 ? query + " ORDER BY 1" : $"SELECT count(*), count(DISTINCT x) FROM ({query}) AS t(x)";
        }

        private string InSubquery()
        {
            var not = random.Next(3) == 0 ? "NOT " : "";
            var inner = $"SELECT a FROM {Table()} WHERE {Conditions[random.Next(Conditions.Length)]} {Operator()} SELECT {IntLiterals[random.Next(IntLiterals.Length)]}";
            return random.Next(3) == 0
                ? $"SELECT id FROM sa WHERE {not}EXISTS ({inner}) ORDER BY id"
                : $"SELECT id, a FROM {Table()} WHERE a {not}IN ({inner}) ORDER BY id";
        }

        private string DerivedAggregate()
        {
            var shape = new[] { "I", "T" };
            var inner = $"{Select(shape)} {Operator()} {Select(shape)}";
            return random.Next(3) switch
            {
                0 => $"SELECT count(*), count(x), sum(x), min(y), max(y) FROM ({inner}) AS t(x, y)",
                1 => $"SELECT y, count(*), sum(x) FROM ({inner}) AS t(x, y) GROUP BY y ORDER BY y NULLS FIRST",
                _ => $"SELECT b, count(*) FROM sa GROUP BY b {Operator()} SELECT b, count(*) FROM sb GROUP BY b ORDER BY 1, 2",
            };
        }

        private string CorrelatedSetOperation()
        {
            var op = Operator();
            return random.Next(3) switch
            {
                0 => $"SELECT id, (SELECT count(*) FROM (SELECT a FROM sb WHERE sb.id <= sa.id {op} SELECT sa.a) u) FROM sa ORDER BY id",
                1 => $"SELECT id FROM sa WHERE EXISTS (SELECT b FROM sb WHERE sb.a = sa.a {op} SELECT 'zz' WHERE sa.id > 5) ORDER BY id",
                _ => $"SELECT id FROM sb WHERE a IN (SELECT a FROM sa WHERE sa.id < sb.id {op} SELECT sb.id) ORDER BY id",
            };
        }

        private string ParenthesizedOperands()
        {
            var shape = Shape();
            var width = shape.Length;
            var left = $"({Select(shape, allowDistinct: false)}{OrderAll(width)} LIMIT {random.Next(1, 5)})";
            var right = random.Next(2) == 0 ? $"({Select(shape)})" : Select(shape);
            return $"{left} {Operator()} {right}{OrderAll(width)}";
        }

        private string Cte()
        {
            var condition = Conditions[random.Next(Conditions.Length)];
            var op = Operator();
            return random.Next(6) switch
            {
                0 => $"WITH c AS (SELECT a, b FROM {Table()} WHERE {condition}) SELECT b, count(*) FROM c GROUP BY b ORDER BY 1 NULLS FIRST",
                1 => $"WITH c(x, y) AS (SELECT a, b FROM sa {op} SELECT a, b FROM sb) SELECT x, y FROM c ORDER BY 1, 2",
                2 => $"WITH c AS (SELECT a FROM sa WHERE {condition}), d AS (SELECT a FROM sb {op} SELECT a FROM c) SELECT a FROM d ORDER BY 1",
                3 => $"WITH c AS (SELECT id, a FROM {Table()} WHERE {condition}) SELECT x.id, y.id FROM c x JOIN c y ON x.a = y.a AND x.id < y.id ORDER BY 1, 2",
                4 => $"WITH c AS (SELECT a FROM {Table()}) SELECT id FROM sa WHERE a IN (SELECT a FROM c {op} SELECT {IntLiterals[random.Next(IntLiterals.Length)]}) ORDER BY id",
                _ => $"SELECT id, (WITH c AS (SELECT a FROM sb WHERE {condition}) SELECT count(*) FROM c WHERE c.a = sa.a) FROM sa ORDER BY id",
            };
        }

        private string RecursiveCount()
        {
            var limit = random.Next(0, 30);
            var step = random.Next(1, 4);
            var all = random.Next(3) == 0 ? "" : " ALL";
            return random.Next(4) switch
            {
                0 => $"WITH RECURSIVE r(n) AS (SELECT 1 UNION{all} SELECT n + {step} FROM r WHERE n < {limit}) SELECT n FROM r ORDER BY n",
                1 => $"WITH RECURSIVE r(n) AS (SELECT 1 UNION{all} SELECT n + {step} FROM r WHERE n < {limit}) SELECT count(*), sum(n), max(n) FROM r",
                2 => $"WITH RECURSIVE r(n, s) AS (SELECT 0, '' UNION{all} SELECT n + 1, s || n FROM r WHERE n < {limit % 12}) SELECT n, s FROM r ORDER BY n",
                _ => $"WITH RECURSIVE r(n) AS (SELECT {random.Next(1, 5)} UNION SELECT (n * {step + 1}) % {limit + 2} FROM r) SELECT n FROM r ORDER BY n",
            };
        }

        private string TreeWalk()
        {
            var root = random.Next(1, 12);
            var all = random.Next(3) == 0 ? "" : " ALL";
            return random.Next(4) switch
            {
                0 => $"WITH RECURSIVE d AS (SELECT id, 0 AS depth FROM tree WHERE id = {root} UNION{all} SELECT t.id, d.depth + 1 FROM tree t JOIN d ON t.parent = d.id) SELECT id, depth FROM d ORDER BY id",
                1 => $"WITH RECURSIVE up(id, parent) AS (SELECT id, parent FROM tree WHERE id = {root} UNION{all} SELECT t.id, t.parent FROM tree t, up WHERE t.id = up.parent) SELECT id FROM up ORDER BY id",
                2 => $"WITH RECURSIVE d AS (SELECT id FROM tree WHERE id = {root} UNION{all} SELECT t.id FROM tree t JOIN d ON t.parent = d.id) SELECT count(*) FROM d",
                _ => $"WITH RECURSIVE d(id, path) AS (SELECT id, name FROM tree WHERE id = {root} UNION{all} SELECT t.id, d.path || '>' || t.name FROM d JOIN tree t ON t.parent = d.id) SELECT path FROM d ORDER BY path",
            };
        }

        private string Values()
        {
            var rows = Enumerable.Range(0, random.Next(1, 5)).Select(_ =>
                $"({new[] { "1", "2", "NULL", "3.5", "-4" }[random.Next(5)]}, {new[] { "'p'", "'q'", "NULL", "'r'" }[random.Next(4)]})").ToList();
            var values = "VALUES " + string.Join(", ", rows);
            return random.Next(4) switch
            {
                0 => values + OrderAll(2),
                1 => $"SELECT k, w FROM ({values}) AS v(k, w) WHERE k IS NOT NULL{OrderAll(2)}",
                2 => $"SELECT a, b FROM sa {Operator()} {values}{OrderAll(2)}",
                _ => $"SELECT sa.id, v.w FROM sa JOIN ({values}) AS v(k, w) ON sa.a = v.k ORDER BY 1, 2",
            };
        }

        private string CreatedTable()
        {
            var table = CreatedTables[random.Next(CreatedTables.Length)];
            return random.Next(3) switch
            {
                0 => $"SELECT count(*) FROM {table}",
                1 => $"SELECT * FROM {table} {Operator()} SELECT * FROM {table}",
                _ => table switch
                {
                    "c_union" => $"SELECT a FROM c_union {Operator()} SELECT a FROM sa ORDER BY 1",
                    "c_all" => $"SELECT x, sum(y) FROM c_all GROUP BY x ORDER BY 1",
                    "c_cte" => $"SELECT k FROM c_cte WHERE k % {random.Next(2, 5)} = 0 ORDER BY k",
                    "c_tree" => $"SELECT depth, count(*) FROM c_tree GROUP BY depth ORDER BY depth",
                    _ => $"SELECT count(*) FROM (SELECT * FROM {table} LIMIT {random.Next(1, 4)}) AS t",
                },
            };
        }
    }
}
