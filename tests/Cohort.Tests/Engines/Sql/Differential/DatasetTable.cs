using System.Collections.Immutable;
using System.Text;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>
/// A table of the differential data set: columns (the first is the primary key), secondary indexes and
/// rows as SQL literals that both dialects read the same way.
/// </summary>
internal sealed record DatasetTable(
    string Name,
    ImmutableArray<DatasetColumn> Columns,
    ImmutableArray<ImmutableArray<string>> Indexes,
    ImmutableArray<ImmutableArray<string>> Rows)
{
    private const int RowsPerInsert = 25;

    public DatasetColumn PrimaryKey => Columns[0];

    public DatasetColumn Column(string name) => Columns.Single(c => c.Name == name);

    /// <summary>CREATE TABLE then CREATE INDEX statements, for Cohort or for SQLite.</summary>
    public IEnumerable<string> Ddl(bool sqlite)
    {
        var create = new StringBuilder($"CREATE TABLE {Name} (");
        for (var i = 0; i < Columns.Length; i++)
        {
            var column = Columns[i];
            create.Append(i == 0 ? "" : ", ").Append(column.Name).Append(' ').Append(sqlite ? column.SqliteType : column.CohortType);
            if (i == 0)
            {
                create.Append(" PRIMARY KEY");
            }
            else if (!column.Nullable)
            {
                create.Append(" NOT NULL");
            }
        }

        yield return create.Append(')').ToString();
        foreach (var index in Indexes)
        {
            yield return $"CREATE INDEX {Name}_{string.Join("_", index)} ON {Name} ({string.Join(", ", index)})";
        }
    }

    /// <summary>Multi-row INSERT statements (the same text for both dialects).</summary>
    public IEnumerable<string> Inserts()
    {
        var columns = string.Join(", ", Columns.Select(c => c.Name));
        foreach (var chunk in Rows.Chunk(RowsPerInsert))
        {
            yield return $"INSERT INTO {Name} ({columns}) VALUES " + string.Join(", ", chunk.Select(row => "(" + string.Join(", ", row) + ")"));
        }
    }
}
