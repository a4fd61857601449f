using System.Collections.Immutable;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Execution;

/// <summary>
/// The shape of the rows an operator produces: an ordered list of columns, each optionally qualified by a
/// table name or alias. Resolves column references with PostgreSQL's rules and messages.
/// </summary>
internal sealed class RowSchema
{
    /// <summary>A schema with no columns (a SELECT without FROM).</summary>
    public static RowSchema Empty { get; } = new([]);

    /// <summary>Creates a schema from its columns, in row order.</summary>
    public RowSchema(IEnumerable<SchemaColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Columns = [.. columns];
        LevelStarts = [];
    }

    private RowSchema(ImmutableArray<SchemaColumn> columns, ImmutableArray<int> levelStarts)
    {
        Columns = columns;
        LevelStarts = levelStarts;
    }

    // For the rows enclosing a subquery: where each level after the nearest one starts.
    private ImmutableArray<int> LevelStarts { get; }

    /// <summary>
    /// The rows a subquery may reference: <paramref name="nearest"/> (the query immediately enclosing it) and then
    /// <paramref name="further"/> (the rows enclosing that query, if any). <see cref="TryResolveNearest"/> keeps the levels apart.
    /// </summary>
    public static RowSchema Enclosing(RowSchema nearest, RowSchema? further)
    {
        ArgumentNullException.ThrowIfNull(nearest);
        if (further is null)
        {
            return new RowSchema(nearest.Columns, []);
        }

        return new RowSchema(
            nearest.Columns.AddRange(further.Columns),
            [nearest.Count, .. further.LevelStarts.Select(start => start + nearest.Count)]);
    }

    /// <summary>
    /// Resolves a reference to an enclosing query as PostgreSQL does: level by level from the nearest, the first level
    /// that has the column (or, for a qualified name, the table) decides; only there is a duplicate an ambiguity.
    /// </summary>
    public ColumnLookup TryResolveNearest(string? table, string column, out int index)
    {
        ArgumentNullException.ThrowIfNull(column);
        var start = 0;
        for (var level = 0; level <= LevelStarts.Length; level++)
        {
            var end = level < LevelStarts.Length ? LevelStarts[level] : Columns.Length;
            var outcome = TryResolve(table, column, start, end, out index);
            if (outcome != ColumnLookup.UnknownTable && !(outcome == ColumnLookup.NotFound && table is null))
            {
                return outcome;
            }

            start = end;
        }

        index = -1;
        return table is null ? ColumnLookup.NotFound : ColumnLookup.UnknownTable;
    }

    /// <summary>The columns, in row order.</summary>
    public ImmutableArray<SchemaColumn> Columns { get; }

    /// <summary>The number of columns.</summary>
    public int Count => Columns.Length;

    /// <summary>The column at <paramref name="index"/>.</summary>
    public SchemaColumn this[int index] => Columns[index];

    /// <summary>A schema of one table's columns, all qualified by <paramref name="table"/>.</summary>
    public static RowSchema ForTable(string table, params IEnumerable<(string Name, SqlType? Type)> columns) =>
        new(columns.Select(c => new SchemaColumn(table, c.Name, c.Type)));

    /// <summary>The schema of a join: this schema's columns followed by <paramref name="right"/>'s.</summary>
    public RowSchema Concat(RowSchema right)
    {
        ArgumentNullException.ThrowIfNull(right);
        return new RowSchema(Columns.Concat(right.Columns));
    }

    /// <summary>The same columns, all qualified by <paramref name="alias"/> (a derived table or a table alias).</summary>
    public RowSchema WithTable(string? alias) => new(Columns.Select(c => c with { Table = alias }));

    /// <summary>Whether some column is qualified by <paramref name="table"/>.</summary>
    public bool HasTable(string table)
    {
        foreach (var column in Columns)
        {
            if (column.Table == table)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Looks a column up without throwing.</summary>
    /// <param name="table">The qualifier, or null.</param>
    /// <param name="column">The column name.</param>
    /// <param name="index">The column's index when <see cref="ColumnLookup.Found"/>; otherwise -1.</param>
    public ColumnLookup TryResolve(string? table, string column, out int index)
    {
        ArgumentNullException.ThrowIfNull(column);
        return TryResolve(table, column, 0, Columns.Length, out index);
    }

    private ColumnLookup TryResolve(string? table, string column, int start, int end, out int index)
    {
        index = -1;
        var tableSeen = table is null;
        for (var i = start; i < end; i++)
        {
            var candidate = Columns[i];
            if (table is not null)
            {
                if (candidate.Table != table)
                {
                    continue;
                }

                tableSeen = true;
            }

            if (candidate.Name != column)
            {
                continue;
            }

            if (index >= 0)
            {
                index = -1;
                return ColumnLookup.Ambiguous;
            }

            index = i;
        }

        return index >= 0 ? ColumnLookup.Found : tableSeen ? ColumnLookup.NotFound : ColumnLookup.UnknownTable;
    }

    /// <summary>Resolves a column reference to its index.</summary>
    /// <exception cref="Cohort.Core.CohortException">The column does not exist, is ambiguous, or the table is unknown.</exception>
    public int Resolve(string? table, string column) => TryResolve(table, column, out var index) switch
    {
        ColumnLookup.Found => index,
        var outcome => throw LookupError(outcome, table, column),
    };

    /// <summary>Resolves a column reference to its index.</summary>
    /// <exception cref="Cohort.Core.CohortException">The column does not exist, is ambiguous, or the table is unknown.</exception>
    public int Resolve(ColumnReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return Resolve(reference.Table, reference.Column);
    }

    /// <summary>The PostgreSQL error for a failed lookup.</summary>
    public static Cohort.Core.CohortException LookupError(ColumnLookup outcome, string? table, string column) => outcome switch
    {
        ColumnLookup.Ambiguous => SqlError.AmbiguousColumn(column),
        ColumnLookup.UnknownTable => SqlError.MissingFromEntry(table!),
        _ => SqlError.UndefinedColumn(table, column),
    };

    /// <summary>The columns as <c>table.name</c>, for debugging.</summary>
    public override string ToString() => string.Join(", ", Columns.Select(c => c.Table is null ? c.Name : $"{c.Table}.{c.Name}"));
}
