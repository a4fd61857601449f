using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (key [ASC | DESC] [NULLS FIRST | LAST], …)</c>.</summary>
/// <param name="Name">The index name (normalized).</param>
/// <param name="Table">The table name (normalized).</param>
/// <param name="Columns">The indexed columns, in order (at least one): the plain column keys and the columns the expression keys read.</param>
/// <param name="Unique">Whether UNIQUE was given.</param>
/// <param name="IfNotExists">Whether IF NOT EXISTS was given.</param>
/// <param name="Elements">The keys as written (columns or expressions, with directions), in order.</param>
internal sealed record CreateIndexStatement(
    string Name,
    string Table,
    ImmutableArray<string> Columns,
    bool Unique,
    bool IfNotExists,
    ImmutableArray<IndexElement> Elements) : Statement
{
    /// <summary>Whether some key is an expression rather than a column.</summary>
    public bool HasExpressions => Elements.Any(e => e.Expression is not null);

    /// <summary>Whether every key is a plain ascending column (the index is exactly <see cref="Columns"/>).</summary>
    public bool IsPlain => Elements.All(e => e.Column is not null && !e.Descending && e.Nulls == NullsOrder.Default);
}
