using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Cohort.Core;
using Cohort.Engines;
using Cohort.IntegrationTests.Harness;
using Cohort.Storage.Wal;
using Npgsql;
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
        var database = await fixture.Server.CreateDatabaseAsync("sqlfn");
        await using var connection = new NpgsqlConnection(fixture.Server.ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync();
        foreach (var statement in Setup)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }

        var directory = Path.Combine(Path.GetTempPath(), "cohort-sqlfn-" + Guid.NewGuid().ToString("N")[..12]);
        await using var engine = EngineFactory.Open("sql:sqlfn", new EngineOptions { DataDirectory = directory, Durability = DurabilityMode.None });
        try
        {
            foreach (var statement in Setup)
            {
                await ExecuteAsync(engine, statement);
            }

            var queries = new QueryGenerator(new Random(Seed)).Generate(QueryCount);
            var differences = new List<string>();
            var (agreed, bothFailed) = (0, 0);
            foreach (var sql in queries)
            {
                var expected = await PostgresQueryAsync(connection, sql);
                var actual = await CohortQueryAsync(engine, sql);
                if (Compare(expected, actual) is { } difference)
                {
                    differences.Add($"{sql}\n    postgres: {expected}\n    cohort:   {actual}\n    ({difference})");
                    continue;
                }

                agreed++;
                bothFailed += expected.Error is not null ? 1 : 0;
            }

            output.WriteLine($"seed {Seed}: {queries.Count} queries run, {agreed} agreed ({bothFailed} of them errors on both sides), {differences.Count} differed");
            foreach (var difference in differences.Take(60))
            {
                output.WriteLine(difference);
            }

            Assert.True(queries.Count >= 1000, $"only {queries.Count} queries were generated");
            Assert.True(differences.Count == 0, $"{differences.Count} of {queries.Count} queries differ from PostgreSQL; the first:\n{string.Join("\n", differences.Take(5))}");
        }
        finally
        {
            await engine.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task ExecuteAsync(IEmbeddedEngine engine, string sql)
    {
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30));
        await engine.ApplyAsync(tx, SqlOperation(sql), CancellationToken.None);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), CancellationToken.None);
    }

    private static Operation SqlOperation(string sql) =>
        Operation.Create("sql", ("sql", Value.From(sql)), ("params", Value.List(ImmutableArray<Value>.Empty)));

    private static async Task<Result> PostgresQueryAsync(NpgsqlConnection connection, string sql)
    {
        try
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<Cell[]>();
            while (await reader.ReadAsync())
            {
                var row = new Cell[reader.FieldCount];
                for (var c = 0; c < row.Length; c++)
                {
                    row[c] = reader.IsDBNull(c) ? Cell.Null : reader.GetDataTypeName(c).Split('(')[0] switch
                    {
                        "smallint" or "integer" or "bigint" => new Cell(CellKind.Number, reader.GetFieldValue<long>(c), null),
                        "numeric" or "double precision" or "real" => new Cell(CellKind.Number, reader.GetFieldValue<double>(c), null),
                        "boolean" => new Cell(CellKind.Bool, reader.GetBoolean(c) ? 1 : 0, null),
                        _ => new Cell(CellKind.Text, 0, reader.GetFieldValue<string>(c)),
                    };
                }

                rows.Add(row);
            }

            return new Result(rows, null);
        }
        catch (PostgresException e)
        {
            return new Result([], e.MessageText);
        }
        catch (OverflowException)
        {
            // A numeric wider than System.Decimal: beyond Cohort's NUMERIC (28 digits), which must then refuse it.
            return new Result([], "numeric beyond 28 digits", BeyondDecimal: true);
        }
    }

    private static async Task<Result> CohortQueryAsync(IEmbeddedEngine engine, string sql)
    {
        Value result;
        try
        {
            result = await engine.ReadAsync(engine.Clock.Now(), SqlOperation(sql), CancellationToken.None);
        }
        catch (CohortException e)
        {
            return new Result([], e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not a SQL error: an engine bug, which never agrees with anything.
            return new Result([], $"INTERNAL {e.GetType().Name}: {e.Message}", Internal: true);
        }

        if (!result.TryGetField("rows", out var rows))
        {
            return new Result([], "INTERNAL: the result has no rows", Internal: true);
        }

        return new Result([.. rows.AsList().Select(r => r.AsList().Select(ToCell).ToArray())], null);
    }

    private static Cell ToCell(Value value) => value.Kind switch
    {
        ValueKind.Null => Cell.Null,
        ValueKind.Int64 => new Cell(CellKind.Number, value.AsInt64(), null),
        ValueKind.Double => new Cell(CellKind.Number, value.AsDouble(), null),
        ValueKind.Decimal => new Cell(CellKind.Number, double.Parse(value.AsDecimal().ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), null),
        ValueKind.Bool => new Cell(CellKind.Bool, value.AsBool() ? 1 : 0, null),
        ValueKind.String => new Cell(CellKind.Text, 0, value.AsString()),
        _ => new Cell(CellKind.Text, 0, value.ToString()),
    };

    /// <summary>Null when the results agree; otherwise what differs.</summary>
    private static string? Compare(Result expected, Result actual)
    {
        if (actual.Internal)
        {
            return "Cohort failed with an internal error";
        }

        if (expected.BeyondDecimal)
        {
            // Cohort's NUMERIC is System.Decimal: a result PostgreSQL gives with more digits must be an out-of-range error.
            return actual.Error?.Contains("out of range", StringComparison.Ordinal) == true ? null : "PostgreSQL's numeric is beyond 28 digits and Cohort did not refuse it";
        }

        if ((expected.Error is null) != (actual.Error is null))
        {
            return expected.Error is null ? "only Cohort failed" : "only PostgreSQL failed";
        }

        if (expected.Error is not null)
        {
            return null;
        }

        if (expected.Rows.Count != actual.Rows.Count)
        {
            return $"{expected.Rows.Count} rows against {actual.Rows.Count}";
        }

        var e = expected.Rows.OrderBy(SortKey, StringComparer.Ordinal).ToList();
        var a = actual.Rows.OrderBy(SortKey, StringComparer.Ordinal).ToList();
        for (var r = 0; r < e.Count; r++)
        {
            if (e[r].Length != a[r].Length)
            {
                return $"{e[r].Length} columns against {a[r].Length}";
            }

            for (var c = 0; c < e[r].Length; c++)
            {
                if (!e[r][c].Matches(a[r][c]))
                {
                    return $"row {r}, column {c}: {e[r][c]} against {a[r][c]}";
                }
            }
        }

        return null;
    }

    private static string SortKey(Cell[] row) => string.Join("|", row.Select(c => c.SortKey));

    private enum CellKind
    {
        Null,
        Number,
        Bool,
        Text,
    }

    private readonly record struct Cell(CellKind Kind, double Number, string? Text)
    {
        public static Cell Null => new(CellKind.Null, 0, null);

        // Numbers sort by a rounded form, so values within the tolerance land in the same place.
        public string SortKey => Kind switch
        {
            CellKind.Null => "~",
            CellKind.Number => Number.ToString("E6", CultureInfo.InvariantCulture),
            CellKind.Bool => Number == 1 ? "true" : "false",
            _ => "'" + Text,
        };

        public bool Matches(Cell other)
        {
            if (Kind != other.Kind)
            {
                return false;
            }

            if (Kind != CellKind.Number)
            {
                return Number.Equals(other.Number) && Text == other.Text;
            }

            if (Number.Equals(other.Number))
            {
                return true;
            }

            var scale = Math.Max(1.0, Math.Max(Math.Abs(Number), Math.Abs(other.Number)));
            return Math.Abs(Number - other.Number) <= 1e-9 * scale;
        }

        public override string ToString() => Kind switch
        {
            CellKind.Null => "NULL",
            CellKind.Number => Number.ToString("R", CultureInfo.InvariantCulture),
            CellKind.Bool => Number == 1 ? "true" : "false",
            _ => "'" + Text + "'",
        };
    }

    private sealed record Result(List<Cell[]> Rows, string? Error, bool Internal = false, bool BeyondDecimal = false)
    {
        public override string ToString() => Error is not null
            ? "error: " + Error
            : Rows.Count + " rows: " + string.Join(", ", Rows.Take(8).Select(r => "(" + string.Join(", ", r) + ")")) + (Rows.Count > 8 ? ", …" : "");
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
