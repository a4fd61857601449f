using System.Collections.Immutable;
using System.Globalization;
using Cohort.Core;
using Cohort.Engines;
using Cohort.IntegrationTests.Harness;
using Cohort.Storage.Wal;
using Npgsql;
using Xunit.Abstractions;

namespace Cohort.IntegrationTests.Postgres;

/// <summary>
/// Runs the same statements in a real PostgreSQL and in Cohort's embedded SQL engine and compares the answers: the same
/// rows (in any order unless a query says its order matters), numbers within a floating-point tolerance, NULL for NULL,
/// and an error on one side only when the other errs too (the wording is not compared). A Cohort failure that is not a
/// SQL error (an engine bug) never agrees with anything.
/// </summary>
internal static class PostgresDifferential
{
    /// <summary>Creates a database and an engine, runs <paramref name="setup"/> in both, then every query in both.</summary>
    public static async Task<DifferentialReport> RunAsync(PostgresServer server, string name, IReadOnlyList<string> setup, IReadOnlyList<string> queries)
    {
        var database = await server.CreateDatabaseAsync(name);
        await using var connection = new NpgsqlConnection(server.ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync();
        foreach (var statement in setup)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync();
        }

        var directory = Path.Combine(Path.GetTempPath(), $"cohort-{name}-" + Guid.NewGuid().ToString("N")[..12]);
        await using var engine = EngineFactory.Open("sql:" + name, new EngineOptions { DataDirectory = directory, Durability = DurabilityMode.None });
        try
        {
            foreach (var statement in setup)
            {
                await ExecuteAsync(engine, statement);
            }

            var report = new DifferentialReport(queries.Count);
            foreach (var sql in queries)
            {
                var expected = await PostgresQueryAsync(connection, sql);
                var actual = await CohortQueryAsync(engine, sql);
                if (Compare(expected, actual, ordered: IsOrdered(sql)) is { } difference)
                {
                    report.Differences.Add($"{sql}\n    postgres: {expected}\n    cohort:   {actual}\n    ({difference})");
                    continue;
                }

                report.Agreed++;
                report.BothFailed += expected.Error is not null ? 1 : 0;
            }

            return report;
        }
        finally
        {
            await engine.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    // A query whose outermost ORDER BY decides the order: compared row by row. Other queries compare as multisets.
    private static bool IsOrdered(string sql)
    {
        var order = sql.LastIndexOf(" ORDER BY ", StringComparison.OrdinalIgnoreCase);
        return order >= 0 && sql.IndexOf(')', order) < 0;
    }

    private static async Task ExecuteAsync(IEmbeddedEngine engine, string sql)
    {
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30));
        await engine.ApplyAsync(tx, SqlOperation(sql), CancellationToken.None);
        await engine.CommitOnePhaseAsync(tx.Id, engine.Clock.Now(), CancellationToken.None);
    }

    private static Operation SqlOperation(string sql) =>
        Operation.Create("sql", ("sql", Value.From(sql)), ("params", Value.List(ImmutableArray<Value>.Empty)));

    private static async Task<DifferentialResult> PostgresQueryAsync(NpgsqlConnection connection, string sql)
    {
        try
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await ReadTemporalAsTextAsync(command);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<DifferentialCell[]>();
            while (await reader.ReadAsync())
            {
                var row = new DifferentialCell[reader.FieldCount];
                for (var c = 0; c < row.Length; c++)
                {
                    row[c] = reader.IsDBNull(c) ? DifferentialCell.Null : reader.GetDataTypeName(c).Split('(')[0] switch
                    {
                        "smallint" or "integer" or "bigint" => DifferentialCell.Number(reader.GetFieldValue<long>(c)),
                        "numeric" or "double precision" or "real" => DifferentialCell.Number(reader.GetFieldValue<double>(c)),
                        "boolean" => DifferentialCell.Bool(reader.GetBoolean(c)),
                        _ => DifferentialCell.Text(reader.GetFieldValue<string>(c)),
                    };
                }

                rows.Add(row);
            }

            return new DifferentialResult(rows, null);
        }
        catch (PostgresException e)
        {
            return new DifferentialResult([], e.MessageText);
        }
        catch (OverflowException)
        {
            // A numeric wider than System.Decimal: beyond Cohort's NUMERIC (28 digits), which must then refuse it.
            return new DifferentialResult([], "numeric beyond 28 digits", BeyondDecimal: true);
        }
    }

    // Date/time, interval and uuid columns are compared in PostgreSQL's own text form, which Npgsql hands over for
    // the columns it is told to leave untyped; the column types come from describing the statement first.
    private static async Task ReadTemporalAsTextAsync(NpgsqlCommand command)
    {
        bool[] textual;
        await using (var schema = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SchemaOnly))
        {
            textual = [.. Enumerable.Range(0, schema.FieldCount).Select(c => schema.GetDataTypeName(c).Split('(')[0]
                is "date" or "time without time zone" or "timestamp without time zone" or "interval" or "uuid")];
        }

        if (textual.Contains(true))
        {
            command.UnknownResultTypeList = textual;
        }
    }

    private static async Task<DifferentialResult> CohortQueryAsync(IEmbeddedEngine engine, string sql)
    {
        Value result;
        try
        {
            result = await engine.ReadAsync(engine.Clock.Now(), SqlOperation(sql), CancellationToken.None);
        }
        catch (CohortException e)
        {
            return new DifferentialResult([], e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not a SQL error: an engine bug, which never agrees with anything.
            return new DifferentialResult([], $"INTERNAL {e.GetType().Name}: {e.Message}", Internal: true);
        }

        if (!result.TryGetField("rows", out var rows))
        {
            return new DifferentialResult([], "INTERNAL: the result has no rows", Internal: true);
        }

        return new DifferentialResult([.. rows.AsList().Select(r => r.AsList().Select(ToCell).ToArray())], null);
    }

    private static DifferentialCell ToCell(Value value) => value.Kind switch
    {
        ValueKind.Null => DifferentialCell.Null,
        ValueKind.Int64 => DifferentialCell.Number(value.AsInt64()),
        ValueKind.Double => DifferentialCell.Number(value.AsDouble()),
        ValueKind.Decimal => DifferentialCell.Number(double.Parse(value.AsDecimal().ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)),
        ValueKind.Bool => DifferentialCell.Bool(value.AsBool()),
        ValueKind.String => DifferentialCell.Text(value.AsString()),
        _ => DifferentialCell.Text(value.ToString()),
    };

    /// <summary>Null when the results agree; otherwise what differs.</summary>
    private static string? Compare(DifferentialResult expected, DifferentialResult actual, bool ordered)
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

        var e = ordered ? expected.Rows : [.. expected.Rows.OrderBy(SortKey, StringComparer.Ordinal)];
        var a = ordered ? actual.Rows : [.. actual.Rows.OrderBy(SortKey, StringComparer.Ordinal)];
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

    private static string SortKey(DifferentialCell[] row) => string.Join("|", row.Select(c => c.SortKey));
}

/// <summary>What a differential run found.</summary>
internal sealed class DifferentialReport(int queries)
{
    public int Queries { get; } = queries;

    public int Agreed { get; set; }

    public int BothFailed { get; set; }

    public List<string> Differences { get; } = [];

    public void WriteTo(ITestOutputHelper output, string label)
    {
        output.WriteLine($"{label}: {Queries} queries run, {Agreed} agreed ({BothFailed} of them errors on both sides), {Differences.Count} differed");
        foreach (var difference in Differences.Take(60))
        {
            output.WriteLine(difference);
        }
    }

    public void AssertAgreed() =>
        Assert.True(Differences.Count == 0, $"{Differences.Count} of {Queries} queries differ from PostgreSQL; the first:\n{string.Join("\n", Differences.Take(5))}");
}

internal enum DifferentialCellKind
{
    Null,
    Number,
    Bool,
    Text,
}

/// <summary>One value of a result, in the form both sides can be compared in.</summary>
internal readonly record struct DifferentialCell(DifferentialCellKind Kind, double Value, string? Chars)
{
    public static DifferentialCell Null => new(DifferentialCellKind.Null, 0, null);

    public static DifferentialCell Number(double value) => new(DifferentialCellKind.Number, value, null);

    public static DifferentialCell Bool(bool value) => new(DifferentialCellKind.Bool, value ? 1 : 0, null);

    public static DifferentialCell Text(string value) => new(DifferentialCellKind.Text, 0, value);

    // Numbers sort by a rounded form, so values within the tolerance land in the same place.
    public string SortKey => Kind switch
    {
        DifferentialCellKind.Null => "~",
        DifferentialCellKind.Number => Value.ToString("E6", CultureInfo.InvariantCulture),
        DifferentialCellKind.Bool => Value == 1 ? "true" : "false",
        _ => "'" + Chars,
    };

    public bool Matches(DifferentialCell other)
    {
        if (Kind != other.Kind)
        {
            return false;
        }

        if (Kind != DifferentialCellKind.Number)
        {
            return Value.Equals(other.Value) && Chars == other.Chars;
        }

        if (Value.Equals(other.Value))
        {
            return true;
        }

        var scale = Math.Max(1.0, Math.Max(Math.Abs(Value), Math.Abs(other.Value)));
        return Math.Abs(Value - other.Value) <= 1e-9 * scale;
    }

    public override string ToString() => Kind switch
    {
        DifferentialCellKind.Null => "NULL",
        DifferentialCellKind.Number => Value.ToString("R", CultureInfo.InvariantCulture),
        DifferentialCellKind.Bool => Value == 1 ? "true" : "false",
        _ => "'" + Chars + "'",
    };
}

/// <summary>The rows of one query, or the error it ended in.</summary>
internal sealed record DifferentialResult(List<DifferentialCell[]> Rows, string? Error, bool Internal = false, bool BeyondDecimal = false)
{
    public override string ToString() => Error is not null
        ? "error: " + Error
        : Rows.Count + " rows: " + string.Join(", ", Rows.Take(8).Select(r => "(" + string.Join(", ", r) + ")")) + (Rows.Count > 8 ? ", …" : "");
}
