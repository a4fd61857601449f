using System.Collections.Immutable;

namespace Cohort.Sql.Storage;

/// <content>
/// ALTER TABLE DROP COLUMN, RENAME COLUMN and RENAME TO. The engine rewrites what the new schema changes: every row
/// without the dropped column (so stored rows always match their schema's columns, and a later ADD COLUMN pads them
/// again), the indexes that used it dropped, and for RENAME TO every row and index entry moved under the new name.
/// </content>
internal sealed partial class TableSchema
{
    /// <summary>
    /// DROP COLUMN: the schema without column <paramref name="column"/> and without every index on it (a multi-column index
    /// goes whole, as in PostgreSQL); the remaining indexes' column numbers shift down.
    /// </summary>
    /// <exception cref="Cohort.Core.CohortException">The column does not exist, is part of the primary key (the rows are keyed
    /// by it), or is the table's only column.</exception>
    public TableSchema DropColumn(string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        var index = FindColumn(column);
        if (index < 0)
        {
            throw Error($"column \"{column}\" of relation \"{Name}\" does not exist");
        }

        if (PrimaryKey.Contains(index))
        {
            // PostgreSQL drops the primary key constraint with its column; Cohort keys the stored rows by it, so it refuses.
            throw Error($"cannot drop column \"{column}\" of table \"{Name}\" because the primary key {PrimaryKeyName} depends on it");
        }

        if (Columns.Length == 1)
        {
            throw Error($"cannot drop column \"{column}\": it is the only column of table \"{Name}\" (Cohort has no zero-column tables)");
        }

        static int Shift(int c, int dropped) => c > dropped ? c - 1 : c;
        var indexes = Indexes.Where(i => !i.Columns.Contains(index))
            .Select(i => i with { Columns = [.. i.Columns.Select(c => Shift(c, index))] })
            .ToImmutableArray();
        return new TableSchema(Name, Columns.RemoveAt(index), [.. PrimaryKey.Select(c => Shift(c, index))], indexes);
    }

    /// <summary>RENAME COLUMN: the schema with column <paramref name="column"/> called <paramref name="newName"/>.</summary>
    public TableSchema RenameColumn(string column, string newName)
    {
        ArgumentNullException.ThrowIfNull(column);
        ArgumentNullException.ThrowIfNull(newName);
        var index = FindColumn(column);
        if (index < 0)
        {
            throw Error($"column \"{column}\" does not exist");
        }

        if (FindColumn(newName) >= 0)
        {
            throw Error($"column \"{newName}\" of relation \"{Name}\" already exists");
        }

        return new TableSchema(Name, Columns.SetItem(index, Columns[index] with { Name = newName }), PrimaryKey, Indexes);
    }

    /// <summary>RENAME TO: the same table called <paramref name="newName"/>.</summary>
    public TableSchema Rename(string newName)
    {
        ArgumentNullException.ThrowIfNull(newName);
        return new TableSchema(newName, Columns, PrimaryKey, Indexes);
    }
}
