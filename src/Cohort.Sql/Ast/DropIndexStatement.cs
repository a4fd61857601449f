namespace Cohort.Sql.Ast;

/// <summary><c>DROP INDEX [IF EXISTS] name</c>.</summary>
/// <param name="Name">The index name (normalized).</param>
/// <param name="IfExists">Whether IF EXISTS was given.</param>
internal sealed record DropIndexStatement(
    string Name,
    bool IfExists) : Statement;
