using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>
/// How a table is read: the whole table, or a key range of its primary key or of one index — equalities on a
/// prefix of the key columns and optionally a range on the next one. The range narrows what is read; the full
/// WHERE is still applied to every row, so a bound that cannot be used exactly is simply left out.
/// </summary>
internal sealed class AccessPath
{
    private AccessPath(TableSchema table, IndexSchema? index, bool isFull, IReadOnlyList<KeyBound> equalities, KeyBound? lower, KeyBound? upper, bool correlated)
    {
        Table = table;
        Index = index;
        IsFull = isFull;
        Equalities = equalities;
        Lower = lower;
        Upper = upper;
        IsCorrelated = correlated;
        KeyTypes = index is null
            ? [.. table.PrimaryKey.Select(c => table.Columns[c].Type)]
            : [.. index.Columns.Select(c => table.Columns[c].Type)];
    }

    /// <summary>The table.</summary>
    public TableSchema Table { get; }

    /// <summary>The index read, or null for the primary key.</summary>
    public IndexSchema? Index { get; }

    /// <summary>Whether every row is read.</summary>
    public bool IsFull { get; }

    /// <summary>Equalities on the first key columns.</summary>
    public IReadOnlyList<KeyBound> Equalities { get; }

    /// <summary>The lower bound on the key column after the equalities.</summary>
    public KeyBound? Lower { get; }

    /// <summary>The upper bound on the key column after the equalities.</summary>
    public KeyBound? Upper { get; }

    /// <summary>Whether a bound reads a column of an enclosing query (the range changes from row to row).</summary>
    public bool IsCorrelated { get; }

    private ImmutableArray<SqlType> KeyTypes { get; }

    /// <summary>A full scan of <paramref name="table"/>.</summary>
    public static AccessPath Full(TableSchema table) => new(table, null, true, [], null, null, false);

    /// <summary>A range of the primary key (<paramref name="index"/> null) or of an index.</summary>
    public static AccessPath Range(TableSchema table, IndexSchema? index, IReadOnlyList<KeyBound> equalities, KeyBound? lower, KeyBound? upper, bool correlated) =>
        new(table, index, false, equalities, lower, upper, correlated);

    /// <summary>Whether the path reads exactly one row (equalities on the whole primary key or unique index).</summary>
    public bool IsPoint => !IsFull && Lower is null && Upper is null && Equalities.Count == KeyTypes.Length && (Index is null || Index.Unique);

    /// <summary>The name EXPLAIN shows for the index.</summary>
    public string IndexName => Index?.Name ?? Table.PrimaryKeyName;

    /// <summary>The key range to read for this execution (empty when a bound is NULL or can never match).</summary>
    public SqlKeyRange Resolve(EvaluationContext context)
    {
        var space = Index is null ? SqlKeySpace.Rows : SqlKeySpace.Index;
        var index = Index?.Name ?? string.Empty;
        if (IsFull)
        {
            return SqlKey.PrefixRange(space, Table.Name, index, []);
        }

        var prefix = ImmutableArray.CreateBuilder<Value>(Equalities.Count + 1);
        for (var i = 0; i < Equalities.Count; i++)
        {
            switch (Coerce(Equalities[i].Expression.Evaluate([], context), KeyTypes[i], out var value))
            {
                case Fit.Exact:
                    prefix.Add(value);
                    continue;
                case Fit.Never:
                    return Empty(space, index);
                default:
                    // Unusable as a key (another type): read the prefix so far, the filter decides.
                    return SqlKey.PrefixRange(space, Table.Name, index, prefix.ToImmutable());
            }
        }

        var p = prefix.ToImmutable();
        var column = Equalities.Count;
        SqlKey? low = null;
        SqlKey? high = null;
        if (Lower is not null)
        {
            switch (Coerce(Lower.Expression.Evaluate([], context), KeyTypes[column], out var value))
            {
                case Fit.Exact:
                    low = Lower.Inclusive ? SqlKey.LowerBound(space, Table.Name, index, p.Add(value)) : SqlKey.UpperBound(space, Table.Name, index, p.Add(value));
                    break;
                case Fit.Null:
                    return Empty(space, index);
            }
        }

        if (Upper is not null)
        {
            switch (Coerce(Upper.Expression.Evaluate([], context), KeyTypes[column], out var value))
            {
                case Fit.Exact:
                    high = Upper.Inclusive ? SqlKey.UpperBound(space, Table.Name, index, p.Add(value)) : SqlKey.LowerBound(space, Table.Name, index, p.Add(value));
                    break;
                case Fit.Null:
                    return Empty(space, index);
            }
        }

        if (low is null && high is null)
        {
            return SqlKey.PrefixRange(space, Table.Name, index, p);
        }

        // NULLs sort last: a range with only a lower bound stops before them.
        return new SqlKeyRange(
            low ?? SqlKey.LowerBound(space, Table.Name, index, p),
            high ?? (Lower is not null ? SqlKey.LowerBound(space, Table.Name, index, p.Add(Value.Null)) : SqlKey.UpperBound(space, Table.Name, index, p)));
    }

    /// <summary>The EXPLAIN text of the bounds.</summary>
    public string Describe(IReadOnlyList<string> keyColumnNames)
    {
        var parts = new List<string>();
        for (var i = 0; i < Equalities.Count; i++)
        {
            parts.Add($"{keyColumnNames[i]} = {Equalities[i].Text}");
        }

        if (Lower is not null)
        {
            parts.Add($"{keyColumnNames[Equalities.Count]} {(Lower.Inclusive ? ">=" : ">")} {Lower.Text}");
        }

        if (Upper is not null)
        {
            parts.Add($"{keyColumnNames[Equalities.Count]} {(Upper.Inclusive ? "<=" : "<")} {Upper.Text}");
        }

        return string.Join(" AND ", parts.Select(p => "(" + p + ")"));
    }

    private SqlKeyRange Empty(SqlKeySpace space, string index)
    {
        var at = SqlKey.LowerBound(space, Table.Name, index, []);
        return new SqlKeyRange(at, at);
    }

    // Keys are stored in the column's type; a bound is usable only converted exactly to it. An equality with a
    // value the column cannot hold (2.5 for an integer column) matches nothing.
    private static Fit Coerce(Value value, SqlType type, out Value converted)
    {
        converted = value;
        if (value.IsNull)
        {
            return Fit.Null;
        }

        try
        {
            converted = SqlSemantics.Cast(value, type);
        }
        catch (CohortException)
        {
            return Fit.Unusable;
        }

        try
        {
            return SqlSemantics.Compare(converted, value) == 0 ? Fit.Exact : SqlSemantics.IsNumeric(value) ? Fit.Never : Fit.Unusable;
        }
        catch (CohortException)
        {
            return Fit.Unusable;
        }
    }

    private enum Fit
    {
        Exact,
        Null,
        Never,
        Unusable,
    }
}
