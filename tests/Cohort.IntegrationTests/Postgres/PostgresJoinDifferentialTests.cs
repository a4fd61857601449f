using System.Globalization;
using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// Joins against a real PostgreSQL 15 on generated queries: 3 to 8 tables joined by commas and by explicit INNER,
/// LEFT, RIGHT, FULL and CROSS joins (nested too), on equalities (integer with numeric and double keys as well),
/// other conditions and ORs, with filters, NULLs in the join keys, subqueries, derived tables, aggregates over the
/// joins and <c>SELECT *</c> (whose column order must be the FROM clause's whatever order the planner joins in).
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class PostgresJoinDifferentialTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 4242;
    private const int QueryCount = 800;

    // name, row count, key type, numeric type, whether id is a primary key, an index on k.
    private static readonly (string Name, int Rows, string Key, string Number, bool PrimaryKey, bool IndexK)[] Tables =
    [
        ("j1", 10, "INTEGER", "NUMERIC(6, 1)", true, false),
        ("j2", 8, "INTEGER", "NUMERIC(6, 1)", true, true),
        ("j3", 12, "BIGINT", "NUMERIC(6, 1)", true, false),
        ("j4", 6, "INTEGER", "DOUBLE PRECISION", true, true),
        ("j5", 9, "INTEGER", "NUMERIC(6, 1)", false, false),
        ("j6", 7, "SMALLINT", "NUMERIC(6, 1)", true, false),
        ("j7", 5, "INTEGER", "NUMERIC(6, 1)", true, true),
        ("j8", 1, "INTEGER", "NUMERIC(6, 1)", true, false),
        ("j9", 0, "INTEGER", "NUMERIC(6, 1)", true, false),
    ];

    [Fact]
    public async Task GeneratedJoins_AgreeWithPostgres()
    {
        var setup = Setup(new Random(Seed));
        var queries = new QueryGenerator(new Random(Seed + 1)).Generate(QueryCount);
        var report = await PostgresDifferential.RunAsync(fixture.Server, "joins", setup, queries);
        report.WriteTo(output, $"seed {Seed}");
        Assert.True(queries.Count >= 700, $"only {queries.Count} queries were generated");
        report.AssertAgreed();
    }

    private static List<string> Setup(Random random)
    {
        var statements = new List<string>();
        string[] texts = ["'a'", "'b'", "'ab'", "'ba'", "NULL"];
        string[] numbers = ["1.0", "2.0", "2.5", "3.0", "4.0", "NULL"];
        foreach (var (name, rows, key, number, primaryKey, indexK) in Tables)
        {
            statements.Add($"CREATE TABLE {name} (id {key}{(primaryKey ? " PRIMARY KEY" : string.Empty)}, k {key}, n {number}, s TEXT)");
            if (indexK)
            {
                statements.Add($"CREATE INDEX {name}_k ON {name} (k)");
            }

            for (var i = 1; i <= rows; i++)
            {
                // Keys 1..5 with duplicates and NULLs; a table without a primary key has a NULL id too.
                var id = !primaryKey && i % 4 == 0 ? "NULL" : i.ToString(CultureInfo.InvariantCulture);
                var k = random.Next(7) == 0 ? "NULL" : random.Next(1, 6).ToString(CultureInfo.InvariantCulture);
                statements.Add($"INSERT INTO {name} VALUES ({id}, {k}, {numbers[random.Next(numbers.Length)]}, {texts[random.Next(texts.Length)]})");
            }
        }

        return statements;
    }

    /// <summary>Join queries from a seed.</summary>
    private sealed class QueryGenerator(Random random)
    {
        // Any table but the empty one (which Item picks on its own).
        private string Table() => Tables[random.Next(Tables.Length - 1)].Name;

        public List<string> Generate(int count)
        {
            // Full joins on conditions PostgreSQL cannot hash or merge are refused; on ones it can, they run.
            List<string> queries =
            [
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON t1.k = t2.k AND t1.id > 2",
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON t1.k < t2.k",
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON t1.k = t2.k OR t1.id = t2.id",
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON t1.k = t2.k AND t1.s = t2.s",
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON t1.k = t2.k + 1",
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON true",
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON t1.n = t2.k",
                "SELECT * FROM j1 t1 FULL JOIN j4 t2 ON t1.n = t2.n",
                "SELECT count(*) FROM j1 t1 FULL JOIN j9 t2 ON t1.k = t2.k FULL JOIN j8 t3 ON t3.k = t2.k",
                "SELECT * FROM j9 t1 RIGHT JOIN j8 t2 ON t1.k = t2.k LEFT JOIN j9 t3 ON t3.id = t2.id",
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON t1.k = t2.k AND t1.id < t2.id",
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON t1.k = t2.k AND t2.s IS NULL",
                "SELECT * FROM j1 t1 FULL JOIN j2 t2 ON t1.k = t2.k AND 1 = 1",
                "SELECT t1.id, t2.id, t3.id FROM j1 t1 FULL JOIN j2 t2 ON t1.k = t2.k RIGHT JOIN j3 t3 ON t3.k = t2.id",
                "SELECT * FROM j5 t1 RIGHT JOIN j6 t2 ON t1.id = t2.id WHERE t1.id IS NULL",
                "SELECT * FROM j1 t1 JOIN j2 t2 ON t1.k = t2.k, j3 t3 WHERE t3.id = t1.id AND t2.k = t3.k",
            ];
            while (queries.Count < count)
            {
                var tables = random.Next(3, 9);
                queries.Add(random.Next(10) switch
                {
                    < 4 => CommaJoin(tables),
                    < 8 => ExplicitJoin(tables),
                    8 => Nested(),
                    _ => Mixed(tables),
                });
            }

            return queries;
        }

        // Some item of the FROM clause: mostly a table, sometimes the empty or one-row table, sometimes a derived table.
        private string Item(int i)
        {
            var roll = random.Next(20);
            return roll switch
            {
                0 => $"j9 t{i}",
                1 => $"(SELECT k AS id, k, sum(n) AS n, min(s) AS s FROM {Table()} GROUP BY k) t{i}",
                2 => $"(SELECT * FROM {Table()} WHERE k > 1) t{i}",
                _ => $"{Table()} t{i}",
            };
        }

        // A condition joining t{i} to one of t1..t{i-1}.
        private string JoinCondition(int i, ref bool nonEqui)
        {
            var j = random.Next(1, i);
            var roll = random.Next(20);
            if (roll >= 17 && !nonEqui)
            {
                nonEqui = true;
                return random.Next(3) switch
                {
                    0 => $"t{i}.k < t{j}.k",
                    1 => $"(t{i}.k = t{j}.k OR t{i}.id = t{j}.id)",
                    _ => $"t{i}.k <> t{j}.k AND t{i}.id = t{j}.k",
                };
            }

            return roll switch
            {
                < 8 => $"t{i}.k = t{j}.k",
                < 10 => $"t{j}.id = t{i}.k",
                < 12 => $"t{i}.n = t{j}.k",
                12 => $"t{i}.k = t{j}.k + 1",
                13 => $"t{i}.k = t{j}.k AND t{i}.s = t{j}.s",
                14 => $"t{i}.n = t{j}.n",
                15 => $"t{i}.id = t{j}.id",
                _ => $"t{j}.k = t{i}.id AND t{i}.k = t{j}.k",
            };
        }

        private string Filter(int tables)
        {
            var t = $"t{random.Next(1, tables + 1)}";
            return random.Next(12) switch
            {
                0 => $"{t}.k > 2",
                1 => $"{t}.k IS NULL",
                2 => $"{t}.s IS NOT NULL",
                3 => $"{t}.id IN (1, 3, 5)",
                4 => $"{t}.s LIKE 'a%'",
                5 => $"{t}.n >= 2",
                6 => $"{t}.k = 3",
                7 => $"EXISTS (SELECT 1 FROM j4 x WHERE x.k = {t}.k)",
                8 => $"{t}.k IN (SELECT k FROM j7)",
                9 => $"{t}.id = (SELECT min(y.id) FROM j2 y WHERE y.k = {t}.k)",
                10 => $"({t}.k = 1 OR {t}.n = 2.5)",
                _ => $"{t}.id BETWEEN 2 AND 6",
            };
        }

        private string Projection(int tables, bool allowStar)
        {
            string T() => $"t{random.Next(1, tables + 1)}";
            var roll = random.Next(10);
            if (allowStar && roll < 3)
            {
                return roll == 0 ? $"{T()}.*, {T()}.k" : "*";
            }

            return roll switch
            {
                3 or 4 => "count(*)",
                5 => $"count({T()}.id), count({T()}.k), sum({T()}.n)",
                6 => $"min({T()}.s), max({T()}.id), avg({T()}.k)",
                _ => string.Join(", ", Enumerable.Range(0, random.Next(1, 4)).Select(_ => $"{T()}.{(random.Next(3) switch { 0 => "id", 1 => "k", _ => "s" })}")),
            };
        }

        private string Finish(string select, int tables, List<string> where)
        {
            var sql = select + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty);
            if (random.Next(8) == 0)
            {
                var t = $"t{random.Next(1, tables + 1)}";
                var p = select.IndexOf(" FROM ", StringComparison.Ordinal);
                sql = $"SELECT {t}.k, count(*), sum({t}.n)" + sql[p..] + $" GROUP BY {t}.k ORDER BY {t}.k";
            }

            return sql;
        }

        private string CommaJoin(int tables)
        {
            var items = Enumerable.Range(1, tables).Select(Item).ToList();
            var where = new List<string>();
            var nonEqui = false;
            for (var i = 2; i <= tables; i++)
            {
                // Almost always connected; now and then an unconnected small item (a cross product).
                if (random.Next(12) != 0 || tables > 4)
                {
                    where.Add(JoinCondition(i, ref nonEqui));
                }
            }

            for (var f = random.Next(3); f > 0; f--)
            {
                where.Add(Filter(tables));
            }

            Shuffle(where);
            return Finish($"SELECT {Projection(tables, tables <= 4)} FROM {string.Join(", ", items)}", tables, where);
        }

        private string ExplicitJoin(int tables)
        {
            var from = Item(1);
            var nonEqui = false;
            var crossed = false;
            var full = false;
            for (var i = 2; i <= tables; i++)
            {
                var roll = random.Next(12);
                if (roll == 0 && !crossed && tables <= 4)
                {
                    crossed = true;
                    from += $" CROSS JOIN {Item(i)}";
                    continue;
                }

                var kind = roll switch
                {
                    < 4 => "JOIN",
                    < 6 => "LEFT JOIN",
                    < 8 => "RIGHT JOIN",
                    < 9 when !full => "FULL JOIN",
                    9 => "INNER JOIN",
                    10 => "LEFT OUTER JOIN",
                    _ => "JOIN",
                };
                var condition = JoinCondition(i, ref nonEqui);
                if (kind == "FULL JOIN")
                {
                    // PostgreSQL runs a full join only on equalities it can hash or merge.
                    full = true;
                    condition = random.Next(2) == 0 ? $"t{i}.k = t{random.Next(1, i)}.k" : $"t{i}.id = t{random.Next(1, i)}.k";
                }
                else if (kind != "JOIN" && random.Next(4) == 0)
                {
                    condition += $" AND t{i}.k > 1";
                }

                from += $" {kind} {Item(i)} ON {condition}";
            }

            var where = new List<string>();
            for (var f = random.Next(3); f > 0; f--)
            {
                where.Add(Filter(tables));
            }

            return Finish($"SELECT {Projection(tables, tables <= 4)} FROM {from}", tables, where);
        }

        // Parenthesized joins: an outer join of an inner join and the other way round.
        private string Nested()
        {
            var outer = random.Next(3) switch
            {
                0 => "LEFT JOIN",
                1 => "RIGHT JOIN",
                _ => "JOIN",
            };
            var inner = random.Next(2) == 0 ? "JOIN" : "LEFT JOIN";
            var sql = random.Next(2) == 0
                ? $"SELECT {Projection(4, true)} FROM {Item(1)} {outer} ({Item(2)} {inner} {Item(3)} ON t3.k = t2.k) ON t2.k = t1.k, {Item(4)} WHERE t4.id = t1.k"
                : $"SELECT {Projection(4, true)} FROM ({Item(1)} {inner} {Item(2)} ON t1.k = t2.k) {outer} {Item(3)} ON t3.k = t1.k JOIN {Item(4)} ON t4.k = t3.id";
            if (random.Next(3) == 0)
            {
                sql += (sql.Contains(" WHERE ", StringComparison.Ordinal) ? " AND " : " WHERE ") + Filter(4);
            }

            return sql;
        }

        // Commas between explicit joins.
        private string Mixed(int tables)
        {
            var split = random.Next(2, tables);
            var nonEqui = false;
            var first = Item(1);
            for (var i = 2; i <= split; i++)
            {
                first += $" {(random.Next(3) == 0 ? "LEFT JOIN" : "JOIN")} {Item(i)} ON {JoinCondition(i, ref nonEqui)}";
            }

            var rest = Enumerable.Range(split + 1, tables - split).Select(Item).ToList();
            var where = new List<string>();
            for (var i = split + 1; i <= tables; i++)
            {
                where.Add(JoinCondition(i, ref nonEqui));
            }

            if (random.Next(2) == 0)
            {
                where.Add(Filter(tables));
            }

            return Finish($"SELECT {Projection(tables, tables <= 4)} FROM {first}, {string.Join(", ", rest)}", tables, where);
        }

        private void Shuffle(List<string> items)
        {
            for (var i = items.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (items[i], items[j]) = (items[j], items[i]);
            }
        }
    }
}
