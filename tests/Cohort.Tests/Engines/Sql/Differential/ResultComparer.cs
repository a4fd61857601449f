using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>
/// Compares a Cohort result with SQLite's after normalizing what legitimately differs in representation:
/// booleans are 1/0 (SQLite has none), and every number (integer, decimal, double) compares by value to
/// 12 significant digits (SQLite's REAL decimals and float sums against exact decimals). Column names
/// are not compared (the dialects name unaliased expressions differently), only their count.
/// </summary>
internal static class ResultComparer
{
    private const int ShownRows = 25;

    /// <summary>Null when the results agree; otherwise a report naming the query and both results.</summary>
    public static string? Compare(DifferentialQuery query, QueryResult expected, QueryResult actual)
    {
        if (!expected.Succeeded)
        {
            return Report(query, "SQLite (the oracle) failed: the query is not in the shared dialect", expected, actual);
        }

        if (!actual.Succeeded)
        {
            return Report(query, "Cohort failed", expected, actual);
        }

        if (expected.Columns.Length != actual.Columns.Length)
        {
            return Report(query, $"column count differs: SQLite {expected.Columns.Length}, Cohort {actual.Columns.Length}", expected, actual);
        }

        var want = expected.Rows.Select(CanonicalRow).ToList();
        var got = actual.Rows.Select(CanonicalRow).ToList();
        if (want.Count != got.Count)
        {
            return Report(query, $"row count differs: SQLite {want.Count}, Cohort {got.Count}", expected, actual);
        }

        if (!query.Ordered)
        {
            want.Sort(StringComparer.Ordinal);
            got.Sort(StringComparer.Ordinal);
        }

        for (var i = 0; i < want.Count; i++)
        {
            if (want[i] != got[i])
            {
                var what = query.Ordered ? $"row {i} differs (ordered)" : "rows differ (compared as multisets)";
                return Report(query, $"{what}: SQLite {want[i]}, Cohort {got[i]}", expected, actual);
            }
        }

        return null;
    }

    public static string CanonicalRow(ImmutableArray<Value> row) => "(" + string.Join(", ", row.Select(Canonical)) + ")";

    public static string Canonical(Value value) => value.Kind switch
    {
        ValueKind.Null => "NULL",
        ValueKind.Bool => value.AsBool() ? "1" : "0",
        ValueKind.Int64 => value.AsInt64().ToString(CultureInfo.InvariantCulture),
        ValueKind.Double => Number(value.AsDouble()),
        ValueKind.Decimal => Number((double)value.AsDecimal()),
        ValueKind.String => "'" + value.AsString() + "'",
        ValueKind.Bytes => "x'" + Convert.ToHexString(value.AsBytes().Span) + "'",
        _ => "?" + value,
    };

    private static string Number(double value)
    {
        if (value == 0)
        {
            return "0";
        }

        var rounded = double.Parse(value.ToString("G12", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return rounded == Math.Floor(rounded) && Math.Abs(rounded) < 1e15
            ? ((long)rounded).ToString(CultureInfo.InvariantCulture)
            : rounded.ToString("R", CultureInfo.InvariantCulture);
    }

    private static string Report(DifferentialQuery query, string what, QueryResult expected, QueryResult actual)
    {
        var text = new StringBuilder();
        text.AppendLine(what).Append("  query: ").AppendLine(query.ToString());
        Append(text, "SQLite", expected);
        Append(text, "Cohort", actual);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string who, QueryResult result)
    {
        if (!result.Succeeded)
        {
            text.Append("  ").Append(who).Append(": error ").AppendLine(result.Error);
            return;
        }

        text.Append("  ").Append(who).Append(": ").Append(result.Rows.Length).Append(" rows [").Append(string.Join(", ", result.Columns)).AppendLine("]");
        foreach (var row in result.Rows.Take(ShownRows))
        {
            text.Append("    ").AppendLine(CanonicalRow(row));
        }

        if (result.Rows.Length > ShownRows)
        {
            text.Append("    … ").Append(result.Rows.Length - ShownRows).AppendLine(" more");
        }
    }
}
