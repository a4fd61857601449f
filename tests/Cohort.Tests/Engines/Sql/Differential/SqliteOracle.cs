using System.Collections.Immutable;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>
/// SQLite (in memory) holding <see cref="DifferentialDataset"/>, set up to answer like PostgreSQL where the
/// two can agree: LIKE is case-sensitive (<c>PRAGMA case_sensitive_like</c>), decimals are REAL.
/// </summary>
internal sealed class SqliteOracle : IDisposable
{
    private readonly SqliteConnection _connection;

    public SqliteOracle()
    {
        _connection = new SqliteConnection("Data Source=:memory:");
        _connection.Open();
        Execute("PRAGMA case_sensitive_like = ON");
        foreach (var table in DifferentialDataset.Tables)
        {
            foreach (var statement in table.Ddl(sqlite: true).Concat(table.Inserts()))
            {
                Execute(statement);
            }
        }

        // The whole corpus relies on PostgreSQL's case-sensitive LIKE; fail loudly if the pragma is compiled out.
        if (Query(new DifferentialQuery("check", "SELECT 'A' LIKE 'a'", false, [])).Rows[0][0] != Value.From(0L))
        {
            throw new InvalidOperationException("SQLite's LIKE is case-insensitive here; the differential oracle needs case_sensitive_like.");
        }
    }

    public string Version => (string)new SqliteCommand("SELECT sqlite_version()", _connection).ExecuteScalar()!;

    public QueryResult Query(DifferentialQuery query)
    {
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = NumberQuestionMarks(query.Sql);
            for (var i = 0; i < query.Parameters.Length; i++)
            {
                command.Parameters.AddWithValue("$" + (i + 1), ToSqlite(query.Parameters[i]));
            }

            using var reader = command.ExecuteReader();
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToImmutableArray();
            var rows = ImmutableArray.CreateBuilder<ImmutableArray<Value>>();
            while (reader.Read())
            {
                var row = new Value[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.GetValue(i) switch
                    {
                        DBNull => Value.Null,
                        long l => Value.From(l),
                        double d => Value.From(d),
                        string s => Value.From(s),
                        byte[] b => Value.From(b.AsSpan()),
                        var other => throw new InvalidOperationException($"unexpected SQLite value {other} ({other.GetType()})"),
                    };
                }

                rows.Add([.. row]);
            }

            return new QueryResult(columns, rows.ToImmutable(), null);
        }
        catch (SqliteException e)
        {
            return QueryResult.Failed(e);
        }
    }

    public void Dispose() => _connection.Dispose();

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object ToSqlite(Value value) => value.Kind switch
    {
        ValueKind.Null => DBNull.Value,
        ValueKind.Bool => value.AsBool() ? 1L : 0L,
        ValueKind.Int64 => value.AsInt64(),
        ValueKind.Double => value.AsDouble(),
        ValueKind.Decimal => (double)value.AsDecimal(),
        ValueKind.String => value.AsString(),
        ValueKind.Bytes => value.AsBytes().ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(value), value.Kind, "not a SQL parameter"),
    };

    // Microsoft.Data.Sqlite binds by name; turn each '?' outside string literals into $1, $2, ….
    private static string NumberQuestionMarks(string sql)
    {
        if (!sql.Contains('?', StringComparison.Ordinal))
        {
            return sql;
        }

        var result = new StringBuilder(sql.Length + 8);
        var inString = false;
        var n = 0;
        foreach (var c in sql)
        {
            if (c == '\'')
            {
                inString = !inString;
            }

            if (c == '?' && !inString)
            {
                result.Append('$').Append(++n);
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }
}
