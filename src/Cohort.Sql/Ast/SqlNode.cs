namespace Cohort.Sql.Ast;

/// <summary>
/// The base of every SQL syntax tree node. Nodes are immutable records; children are held in
/// <see cref="System.Collections.Immutable.ImmutableArray{T}"/>s.
/// </summary>
/// <remarks>
/// The compiler-generated record equality compares <see cref="Position"/> and compares arrays by
/// reference, so it is not structural: use <see cref="SyntaxComparer"/> to compare trees (for example
/// to match a GROUP BY expression against a projection).
/// </remarks>
internal abstract record SqlNode
{
    /// <summary>Where the node starts in the source (for operators: where the operator is); default for synthesized nodes.</summary>
    public SourcePosition Position { get; init; }

    /// <summary>Prints the node back as SQL that parses to a structurally equal tree.</summary>
    public string ToSql() => SqlPrinter.Print(this);

    /// <summary>The SQL text of the node (<see cref="ToSql"/>).</summary>
    public sealed override string ToString() => ToSql();
}
