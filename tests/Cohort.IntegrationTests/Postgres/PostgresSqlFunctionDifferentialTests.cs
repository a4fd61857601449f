using Cohort.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// Issue 23: Cohort's SQL engine against a real PostgreSQL 15 on generated queries over the scalar functions, IS [NOT]
/// DISTINCT FROM and the GROUP BY forms. The same small table is created in both; every query runs in both and the
/// results must agree: the same rows (in any order), numbers within a floating-point tolerance, NULL for NULL, and an
/// error on one side only when the other errs too (the wording is not compared).
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Postgres")]
public sealed class PostgresSqlFunctionDifferentialTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 2023;
    private const int QueryCount = 1500;

    private static readonly string[] Setup =
    [
        "CREATE TABLE ft (id INTEGER PRIMARY KEY, i INTEGER, b BIGINT, d NUMERIC(12, 3), f DOUBLE PRECISION, s TEXT, t TEXT)",
        "INSERT INTO ft VALUES (1, 3, 10, 2.5, 1.5, 'Hello World', 'l')",
        "INSERT INTO ft VALUES (2, -4, -7, -1.25, -0.25, '  padded  ', ' ')",
        "INSERT INTO ft VALUES (3, 0, 0, 0, 0, '', '')",
        "INSERT INTO ft VALUES (4, NULL, NULL, NULL, NULL, NULL, NULL)",
        "INSERT INTO ft VALUES (5, 7, 123456789, 100.125, 10000000000, 'abcABC xyz', 'abc')",
        "INSERT INTO ft VALUES (6, 1, 1, 0.001, 2.75, 'x', 'xyz')",
        "INSERT INTO ft VALUES (7, 12, -1, 9.999, -3.5, 'mIxEd caSe-words 42go', 'o')",
        "INSERT INTO ft VALUES (8, 3, 10, 2.5, 1.5, 'Hello World', 'l')",
    ];

    [Fact]
    public async Task GeneratedQueries_AgreeWithPostgres()
    {
        var queries = new QueryGenerator(new Random(Seed)).Generate(QueryCount);
        var report = await PostgresDifferential.RunAsync(fixture.Server, "sqlfn", Setup, queries);
        report.WriteTo(output, $"seed {Seed}");
        Assert.True(queries.Count >= 1000, $"only {queries.Count} queries were generated");
        report.AssertAgreed();
    }

    /// <summary>Queries from a seed: every function with literal, column, NULL and nested arguments, and the dialect items.</summary>
    private sealed class QueryGenerator(Random random)
    {
        private static readonly string[] TextLiterals = ["'abc'", "''", "'  hi  '", "'Hello World'", "'xyx'", "'a-b c_d'", "'ZZ top'", "' '"];
        private static readonly string[] IntLiterals = ["0", "1", "2", "3", "5", "-1", "-3", "10"];
        private static readonly string[] NumberLiterals = ["0", "1", "4", "-2", "2.5", "-1.75", "0.5", "100", "1.5::float8", "-0.3::float8", "1e3::float8", "16.0"];
        private static readonly string[] Columns = ["i", "b", "d", "f"];

        // name, argument kinds (T text, I small integer, N number, A anything); S marks a special syntax.
        private static readonly (string Name, string Kinds)[] Functions =
        [
            ("substr", "TI"), ("substr", "TII"), ("substring", "TII"), ("S:substring_from_for", "TII"), ("S:substring_from", "TI"),
            ("S:substring_for", "TI"), ("btrim", "T"), ("btrim", "TT"), ("ltrim", "T"), ("ltrim", "TT"), ("rtrim", "T"), ("rtrim", "TT"),
            ("S:trim_both", "TT"), ("S:trim_leading", "TT"), ("S:trim_trailing", "TT"), ("S:trim_plain", "T"), ("S:trim_from", "T"),
            ("lpad", "TI"), ("lpad", "TIT"), ("rpad", "TI"), ("rpad", "TIT"), ("replace", "TTT"), ("repeat", "TI"), ("reverse", "T"),
            ("left", "TI"), ("right", "TI"), ("concat", "AA"), ("concat", "AAA"), ("concat_ws", "TAA"), ("concat_ws", "TAAA"),
            ("S:position", "TT"), ("strpos", "TT"), ("ascii", "T"), ("chr", "I"), ("initcap", "T"), ("upper", "T"), ("lower", "T"),
            ("length", "T"), ("ceil", "N"), ("ceiling", "N"), ("floor", "N"), ("trunc", "N"), ("trunc", "NI"), ("round", "N"),
            ("round", "NI"), ("sign", "N"), ("abs", "N"), ("sqrt", "N"), ("cbrt", "N"), ("power", "NN"), ("pow", "NN"), ("exp", "N"),
            ("ln", "N"), ("log", "N"), ("log", "NN"), ("log10", "N"), ("sin", "N"), ("cos", "N"), ("tan", "N"), ("asin", "N"),
            ("acos", "N"), ("atan", "N"), ("atan2", "NN"), ("degrees", "N"), ("radians", "N"), ("pi", ""), ("gcd", "NN"), ("lcm", "NN"),
            ("div", "NN"), ("mod", "NN"), ("greatest", "NN"), ("greatest", "NNN"), ("least", "NN"), ("least", "TT"), ("greatest", "TTT"),
            ("nullif", "NN"), ("coalesce", "NN"), ("coalesce", "TT"),
        ];

        public List<string> Generate(int count)
        {
            var queries = new List<string>(count);
            for (var n = 0; queries.Count < count; n++)
            {
                // First every function once with columns over the whole table, then random mixes.
                if (n < Functions.Length)
                {
                    queries.Add($"SELECT id, {Call(Functions[n], 1, preferColumns: true)} FROM ft");
                    continue;
                }

                queries.Add(random.Next(20) switch
                {
                    0 => DialectQuery(),
                    1 or 2 => $"SELECT {Expression(2)}",
                    3 or 4 or 5 => $"SELECT id, {Expression(2)} FROM ft",
                    6 => $"SELECT count(*) FROM ft WHERE {Expression(1)} IS NOT NULL",
                    _ => $"SELECT id, {Expression(2)} FROM ft WHERE id = {random.Next(1, 9)}",
                });
            }

            return queries;
        }

        private string Expression(int depth) => Call(Functions[random.Next(Functions.Length)], depth, preferColumns: false);

        private string Call((string Name, string Kinds) function, int depth, bool preferColumns)
        {
            var args = function.Kinds.Select(k => Argument(k, depth - 1, preferColumns)).ToArray();
            return function.Name switch
            {
                "S:substring_from_for" => $"SUBSTRING({args[0]} FROM {args[1]} FOR {args[2]})",
                "S:substring_from" => $"SUBSTRING({args[0]} FROM {args[1]})",
                "S:substring_for" => $"SUBSTRING({args[0]} FOR {args[1]})",
                "S:trim_both" => $"TRIM(BOTH {args[0]} FROM {args[1]})",
                "S:trim_leading" => $"TRIM(LEADING {args[0]} FROM {args[1]})",
                "S:trim_trailing" => $"TRIM(TRAILING {args[0]} FROM {args[1]})",
                "S:trim_plain" => $"TRIM({args[0]})",
                "S:trim_from" => $"TRIM(FROM {args[0]})",
                "S:position" => $"POSITION({args[0]} IN {args[1]})",
                _ => $"{function.Name}({string.Join(", ", args)})",
            };
        }

        private string Argument(char kind, int depth, bool preferColumns)
        {
            var roll = random.Next(10);
            if (roll == 0)
            {
                return "NULL";
            }

            if (depth > 0 && roll == 1 && kind != 'I')
            {
                // A nested call of a fitting kind.
                var fitting = Functions.Where(f => kind == 'A' || ResultKind(f.Name) == kind).ToArray();
                return Call(fitting[random.Next(fitting.Length)], depth, preferColumns);
            }

            var column = preferColumns ? roll < 7 : roll < 4;
            return kind switch
            {
                'T' => column ? (random.Next(2) == 0 ? "s" : "t") : TextLiterals[random.Next(TextLiterals.Length)],
                'I' => column ? (random.Next(4) == 0 ? "b" : "i") : IntLiterals[random.Next(IntLiterals.Length)],
                'N' => column ? Columns[random.Next(Columns.Length)] : NumberLiterals[random.Next(NumberLiterals.Length)],
                _ => random.Next(3) switch
                {
                    0 => Argument('T', depth, preferColumns),
                    1 => Argument('N', depth, preferColumns),
                    _ => random.Next(2) == 0 ? "true" : "(i > 2)",
                },
            };
        }

        private static char ResultKind(string name) => name switch
        {
            "length" or "strpos" or "S:position" or "ascii" => 'I',
            "ceil" or "ceiling" or "floor" or "trunc" or "round" or "sign" or "abs" or "sqrt" or "cbrt" or "power" or "pow" or "exp"
                or "ln" or "log" or "log10" or "sin" or "cos" or "tan" or "asin" or "acos" or "atan" or "atan2" or "degrees"
                or "radians" or "pi" or "gcd" or "lcm" or "div" or "mod" or "nullif" => 'N',
            _ => 'T',
        };

        private string DialectQuery()
        {
            string[] pairs = ["i, b", "i, 3", "s, t", "d, 2.5", "NULL, i", "f, d", "i, NULL", "NULL, NULL", "s, 'x'", "b, d"];
            var pair = pairs[random.Next(pairs.Length)].Split(", ");
            var not = random.Next(2) == 0 ? "NOT " : "";
            return random.Next(12) switch
            {
                8 => $"SELECT id FROM ft WHERE {(random.Next(2) == 0 ? "s" : "'ABC'")} {not}LIKE {new[] { "10", "'H%'", "'%o%'", "true", "t" }[random.Next(5)]}",
                9 => $"SELECT id FROM ft WHERE i {not}IN (SELECT i{(random.Next(2) == 0 ? ", b" : "")} FROM ft WHERE id > {random.Next(6, 10)})",
                10 => $"SELECT ({(random.Next(2) == 0 ? "SELECT i, b" : "SELECT i")} FROM ft WHERE id > 100)",
                0 => $"SELECT id, {pair[0]} IS {not}DISTINCT FROM {pair[1]} FROM ft",
                1 => $"SELECT id FROM ft WHERE {pair[0]} IS {not}DISTINCT FROM {pair[1]}",
                2 => $"SELECT count(*) FROM ft WHERE ({pair[0]} IS {not}DISTINCT FROM {pair[1]}) = (i IS NULL)",
                3 => "SELECT i FROM ft GROUP BY i, i",
                4 => "SELECT i, id FROM ft GROUP BY i, id, ft.id",
                5 => "SELECT * FROM ft GROUP BY id, i, b, d, f, s, t",
                6 => $"SELECT s, count(*) FROM ft GROUP BY s, s, ft.s HAVING count(*) > {random.Next(2)}",
                _ => $"SELECT {random.Next(5)} AS {new[] { "case", "select", "from", "order", "table" }[random.Next(5)]}",
            };
        }
    }
}
