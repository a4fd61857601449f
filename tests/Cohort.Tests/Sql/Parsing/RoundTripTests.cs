using Cohort.Sql.Ast;
using Cohort.Sql.Parsing;

namespace Cohort.Tests.Sql.Parsing;

public sealed class RoundTripTests
{
    public static TheoryData<string> Statements { get; } =
    [
        // DDL
        "CREATE TABLE t (a INT)",
        "CREATE TABLE IF NOT EXISTS t (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",
        "CREATE TABLE t (a SMALLINT, b INTEGER, c BIGINT, d REAL, e DOUBLE PRECISION, f FLOAT, g DECIMAL(10,2), h NUMERIC(5), i NUMERIC)",
        "CREATE TABLE t (a TEXT, b VARCHAR(20), c CHARACTER VARYING(3), d BOOLEAN, e BOOL, f TIMESTAMP, g BYTEA, h VARCHAR)",
        "CREATE TABLE t (a INT DEFAULT 1 + 2 NOT NULL UNIQUE, b TEXT DEFAULT 'x''y')",
        "CREATE TABLE t (a INT DEFAULT -1, b DECIMAL(4,2) DEFAULT -1.50, c DOUBLE DEFAULT 1e-3)",
        "CREATE TABLE t (a INT, b INT, PRIMARY KEY (a, b), UNIQUE (b), CONSTRAINT c1 UNIQUE (a))",
        "CREATE TABLE \"Weird \"\"Name\"\"\" (\"Select\" INT, \"from\" TEXT, über INT)",
        "CREATE TABLE t (a INT CONSTRAINT nn NOT NULL, b INT NULL)",
        "CREATE TABLE t (x BOOLEAN DEFAULT a IS NULL NOT NULL)",
        "CREATE TABLE t (x INT DEFAULT (1) PRIMARY KEY)",
        "CREATE TABLE t (ts TIMESTAMP DEFAULT now())",
        "DROP TABLE t",
        "DROP TABLE IF EXISTS t",
        "CREATE INDEX ix ON t (a)",
        "CREATE UNIQUE INDEX IF NOT EXISTS ix ON t (a, b)",
        "DROP INDEX ix",
        "DROP INDEX IF EXISTS \"Ix\"",
        "ALTER TABLE t ADD COLUMN c INT",
        "ALTER TABLE t ADD c TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS c DECIMAL(12, 4)",
        "CREATE TABLE if (if INT, nulls INT, first TEXT, key INT)",

        // INSERT
        "INSERT INTO t VALUES (1)",
        "INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, NULL)",
        "INSERT INTO t (a) VALUES ($1)",
        "INSERT INTO t (a, b) VALUES (?, ?)",
        "INSERT INTO t SELECT * FROM s",
        "INSERT INTO t (a) SELECT b FROM s WHERE c > 1 ORDER BY b LIMIT 10",
        "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
        "INSERT INTO t VALUES (1) ON CONFLICT (a) DO NOTHING",
        "INSERT INTO t (k, v) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = t.v + excluded.v",
        "INSERT INTO t (k, v) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, n = n + 1 WHERE t.v < 10 RETURNING *",
        "INSERT INTO t VALUES (1, 2) RETURNING a, b AS bee, t.*",
        "INSERT INTO t SELECT 1 ON CONFLICT DO NOTHING",
        "INSERT INTO t SELECT * FROM a JOIN b ON a.i = b.i ON CONFLICT (i) DO NOTHING",
        "INSERT INTO t VALUES (-1, -2.5, - - 3, +4, 1e10, 'a' || 'b')",

        // UPDATE / DELETE
        "UPDATE t SET a = 1",
        "UPDATE t SET a = a + 1, b = DEFAULT_B() WHERE id = $1",
        "UPDATE t AS x SET a = x.a * 2 WHERE x.b IN (1, 2) RETURNING x.a",
        "UPDATE t SET a = CASE WHEN a > 0 THEN a ELSE -a END",
        "DELETE FROM t",
        "DELETE FROM t WHERE a = 1",
        "DELETE FROM t x WHERE x.a IS NOT NULL RETURNING *",
        "DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id)",
        "DELETE FROM t WHERE a NOT IN (SELECT b FROM u) RETURNING a, b",

        // SELECT
        "SELECT 1",
        "SELECT 1 + 1",
        "SELECT 1, 2.50, 3e0, 'x', TRUE, FALSE, NULL",
        "SELECT * FROM t",
        "SELECT DISTINCT a, b FROM t",
        "SELECT ALL a FROM t",
        "SELECT t.*, u.a AS ua FROM t, u",
        "SELECT a AS \"A\", b bb FROM t",
        "SELECT a FROM t WHERE a = 1 AND b <> 2 OR c != 3",
        "SELECT a FROM t WHERE (a = 1 OR b = 2) AND c = 3",
        "SELECT a FROM t WHERE NOT (a = 1 AND b = 2)",
        "SELECT a FROM t WHERE NOT a",
        "SELECT a FROM t WHERE a < 1 AND b <= 2 AND c > 3 AND d >= 4",
        "SELECT a FROM t WHERE a IS NULL OR b IS NOT NULL",
        "SELECT (a = b) IS NULL, (a IS NULL) = TRUE FROM t",
        "SELECT a FROM t WHERE a BETWEEN 1 AND 10",
        "SELECT a FROM t WHERE a NOT BETWEEN b - 1 AND b + 1",
        "SELECT a FROM t WHERE (a BETWEEN 1 AND 2) BETWEEN FALSE AND TRUE",
        "SELECT a FROM t WHERE a IN (1, 2, 3) AND b NOT IN ('x')",
        "SELECT a FROM t WHERE a IN (SELECT b FROM u WHERE u.c = t.c)",
        "SELECT a FROM t WHERE a LIKE 'x%' AND b NOT LIKE '%y' ESCAPE '\\'",
        "SELECT a FROM t WHERE (a LIKE b) LIKE c",
        "SELECT a FROM t WHERE NOT EXISTS (SELECT 1 FROM u)",
        "SELECT NOT (NOT EXISTS (SELECT 1)) FROM t",
        "SELECT a || b || c, a || (b || c) FROM t",
        "SELECT a - b - c, a - (b - c), a / b * c, a / (b * c), a % 2 FROM t",
        "SELECT -a, - -a, -(-1), -(1), +1, +-1, -+a, a - -1, a * -1 FROM t",
        "SELECT -9223372036854775808, 9223372036854775808, -9223372036854775809, 1.",
        "SELECT 0.000000000000000000000000001, 79228162514264337593543950335",
        "SELECT 1e300, -1e-300, 0e0, -0e0, 1.5e3",
        "SELECT CAST(a AS INTEGER), a::BIGINT, a::TEXT::VARCHAR(3), -a::int, (-a)::int FROM t",
        "SELECT TIMESTAMP '2024-01-01 00:00:00', CAST('1' AS DECIMAL(3,1))",
        "SELECT CASE WHEN a = 1 THEN 'one' WHEN a = 2 THEN 'two' ELSE 'many' END FROM t",
        "SELECT CASE a WHEN 1 THEN 'one' END, CASE WHEN a THEN CASE WHEN b THEN 1 END END FROM t",
        "SELECT count(*), count(DISTINCT a), sum(a + b), max(\"Col\"), now() FROM t",
        "SELECT \"left\"(a, 2), \"count\"(*) FROM t",
        "SELECT (SELECT max(b) FROM u) AS m, a FROM t",
        "SELECT a FROM t WHERE a = (SELECT max(a) FROM t) + 1",
        "SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 1",
        "SELECT a, b FROM t GROUP BY a, b ORDER BY a DESC, b",
        "SELECT a FROM t ORDER BY a ASC NULLS FIRST, b DESC NULLS LAST, c NULLS LAST",
        "SELECT a FROM t LIMIT 10",
        "SELECT a FROM t LIMIT 10 OFFSET 20",
        "SELECT a FROM t OFFSET $2 LIMIT $1",
        "SELECT a FROM t LIMIT ? OFFSET ?",
        "SELECT * FROM a JOIN b ON a.id = b.a_id",
        "SELECT * FROM a INNER JOIN b ON a.id = b.a_id LEFT JOIN c ON c.b_id = b.id",
        "SELECT * FROM a LEFT OUTER JOIN b ON TRUE CROSS JOIN c",
        "SELECT * FROM a RIGHT JOIN b ON a.id = b.a_id FULL OUTER JOIN c ON c.b_id = b.id",
        "SELECT * FROM a RIGHT OUTER JOIN (b FULL JOIN c ON b.x = c.x) ON a.x = b.x",
        "SELECT * FROM a JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x",
        "SELECT * FROM (a JOIN b ON a.x = b.x) JOIN c ON c.x = a.x",
        "SELECT * FROM a AS x, b AS y WHERE x.i = y.i",
        "SELECT d.n FROM (SELECT count(*) AS n FROM t) AS d",
        "SELECT * FROM (SELECT * FROM (SELECT 1 AS one) inner1) outer1",
        "SELECT * FROM t AS OF '2024-01-01T00:00:00Z'",
        "SELECT * FROM t AS x AS OF $1 WHERE x.a = $2",
        "SELECT * FROM t WHERE a = 1 ORDER BY a LIMIT 1 AS OF '2024-06-01'",
        "SELECT a FROM t WHERE b IN (SELECT c FROM u AS OF '2024-01-01')",
        "SELECT \"select\", \"from\", \"Mixed\", \"with space\", \"quote\"\"d\" FROM \"Table\"",
        "SELECT text, timestamp, nulls, first, if FROM update",
        "SELECT a FROM t WHERE a = 'line1\nline2' AND b = ''''",
        "SELECT a FROM t WHERE a + 1 = 2 IS NOT NULL",
        "SELECT $1 || $2, $10",

        // Set operations, VALUES, WITH, CREATE TABLE AS
        "SELECT a FROM t UNION SELECT b FROM u",
        "SELECT a FROM t UNION ALL SELECT b FROM u INTERSECT SELECT c FROM v EXCEPT ALL SELECT 1 ORDER BY 1 DESC LIMIT 3 OFFSET 1",
        "SELECT a FROM t INTERSECT ALL (SELECT b FROM u UNION SELECT c FROM v)",
        "(SELECT a FROM t ORDER BY a LIMIT 1) UNION DISTINCT (SELECT b FROM u) ORDER BY a",
        "(SELECT 1 UNION SELECT 2) ORDER BY 1",
        "SELECT a FROM t WHERE a IN (SELECT b FROM u EXCEPT SELECT c FROM v) AND EXISTS (VALUES (1))",
        "SELECT a FROM t WHERE a IN ((SELECT 1) UNION (SELECT 2 ORDER BY 1))",
        "SELECT ((SELECT 1) UNION SELECT 2 LIMIT 1), (VALUES (3))",
        "SELECT * FROM ((SELECT 1 AS x) UNION ALL (SELECT 2)) AS u",
        "VALUES (1, 'a'), (2, NULL)",
        "VALUES (1), (2) ORDER BY column1 DESC LIMIT 1",
        "SELECT * FROM (VALUES (1, 'a')) AS v (k, w) JOIN t ON t.a = v.k",
        "VALUES (1) UNION VALUES (2)",
        "WITH c AS (SELECT 1 AS x) SELECT x FROM c",
        "WITH c (x, y) AS (SELECT 1, 2), d AS MATERIALIZED (SELECT x FROM c) SELECT * FROM c, d ORDER BY 1",
        "WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r UNION SELECT 0 ORDER BY n",
        "SELECT * FROM t WHERE a IN (WITH c AS (SELECT b FROM u) SELECT b FROM c)",
        "(WITH c AS (SELECT 1 AS x) SELECT x FROM c) UNION SELECT 2",
        "INSERT INTO t WITH c AS (SELECT 1) SELECT * FROM c",
        "INSERT INTO t (SELECT 1 UNION SELECT 2)",
        "CREATE TABLE t2 AS SELECT a, b FROM t UNION SELECT 1, 'x'",
        "CREATE TABLE IF NOT EXISTS t2 (x, y) AS VALUES (1, 2)",
        "CREATE TABLE t2 AS WITH c AS (SELECT 1 AS one) SELECT one FROM c",
        "EXPLAIN SELECT a FROM t UNION SELECT a FROM u",
        // Date/time types, bitwise operators, ALTER TABLE and CREATE INDEX forms
        "SELECT DATE '2024-01-31', TIME '12:34:56', INTERVAL '1 day 2 hours', '3 days'::interval, CAST(x AS uuid), CAST(y AS time without time zone)",
        "SELECT d + 1, d - DATE '2024-01-01', ts - INTERVAL '1 mon', iv * 2 FROM t WHERE d BETWEEN '2024-01-01' AND '2024-12-31'",
        "SELECT EXTRACT(YEAR FROM ts), extract(epoch FROM iv), date_part('dow', d), date_trunc('month', ts) FROM t",
        "SELECT CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP, LOCALTIMESTAMP, now(), gen_random_uuid(), make_date(2024, 2, 29)",
        "SELECT a & b, a | b, a # b, ~a, a << 2, a >> 1, 1 + 2 & 3, ~1 + 2, 1 + ~2 * 3, (a | b) & c, a & (b | c), ~(~a), 'x' || 1 & 3 FROM t",
        "SELECT a FROM t WHERE a & 1 = 1 ORDER BY a << 1 DESC",
        "ALTER TABLE t DROP COLUMN a",
        "ALTER TABLE t DROP IF EXISTS a CASCADE",
        "ALTER TABLE t DROP COLUMN a RESTRICT",
        "ALTER TABLE t RENAME COLUMN a TO b",
        "ALTER TABLE t RENAME a TO \"B\"",
        "ALTER TABLE t RENAME TO u",
        "CREATE INDEX i ON t (a DESC, b ASC NULLS FIRST, c NULLS LAST)",
        "CREATE INDEX i ON t ((lower(s)))",
        "CREATE INDEX i ON t (lower(s), (a + b) DESC, c)",

        // EXPLAIN
        "EXPLAIN SELECT * FROM t WHERE id = 1",
        "EXPLAIN INSERT INTO t VALUES (1)",
        "EXPLAIN UPDATE t SET a = 1",
        "EXPLAIN DELETE FROM t WHERE a = ?",
    ];

    [Theory]
    [MemberData(nameof(Statements))]
    public void ToSql_ParsedStatement_ParsesBackToAnEqualTree(string sql)
    {
        var first = Parser.Parse(sql);
        var printed = first.ToSql();
        var second = Parser.Parse(printed);

        Assert.True(SyntaxComparer.Instance.Equals(first, second), $"{sql}\n  printed: {printed}\n  reprinted: {second.ToSql()}");
        Assert.Equal(printed, second.ToSql());
        Assert.Equal(first.ParameterCount, second.ParameterCount);
    }

    [Fact]
    public void ToSql_PrintsCanonicalSql()
    {
        Assert.Equal(
            "SELECT a AS x, count(*) FROM t AS u LEFT JOIN v ON u.i = v.i WHERE (a = 1 OR b = 2) AND NOT c IS NULL GROUP BY a ORDER BY a DESC NULLS LAST LIMIT 5 AS OF '2024-01-01'",
            Parser.Parse("select A x, COUNT(*) from T u left outer join V on u.I = v.I where (a=1 or b=2) and not c is null group by a order by a desc nulls last limit 5 as of '2024-01-01'").ToSql());
        Assert.Equal(
            "INSERT INTO t (a) VALUES ($1), ($2) ON CONFLICT (a) DO UPDATE SET a = excluded.a RETURNING *",
            Parser.Parse("insert into t(a) values (?), (?) on conflict (a) do update set a = EXCLUDED.a returning *").ToSql());
        Assert.Equal("CREATE TABLE \"Order\" (id BIGINT NOT NULL PRIMARY KEY DEFAULT 0, PRIMARY KEY (id))",
            Parser.Parse("CREATE TABLE \"Order\" (id int8 DEFAULT 0 PRIMARY KEY NOT NULL, PRIMARY KEY (id))").ToSql());
    }

    [Fact]
    public void ToSql_PrintsDateTimeBitwiseAndAlterFormsCanonically()
    {
        Assert.Equal("SELECT EXTRACT(YEAR FROM ts), CURRENT_DATE, CAST('1 day' AS INTERVAL), ~(a & b) | c << 2 FROM t",
            Parser.Parse("select extract(year from ts), current_date, interval '1 day', ~(a&b)|c<<2 from t").ToSql());
        Assert.Equal("ALTER TABLE t DROP COLUMN IF EXISTS a CASCADE", Parser.Parse("alter table t drop if exists a cascade").ToSql());
        Assert.Equal("ALTER TABLE t RENAME COLUMN a TO b", Parser.Parse("alter table t rename a to b").ToSql());
        Assert.Equal("CREATE INDEX i ON t(a DESC NULLS LAST, (lower(s)))", Parser.Parse("create index i on t (a desc nulls last, lower(s) asc)").ToSql());
        Assert.Equal("CREATE INDEX i ON t(a, b)", Parser.Parse("create index i on t (a asc, b)").ToSql());
    }

    [Fact]
    public void Statements_CoverAboutAHundredCases()
    {
        Assert.True(Statements.Count >= 100, $"{Statements.Count}");
    }
}
