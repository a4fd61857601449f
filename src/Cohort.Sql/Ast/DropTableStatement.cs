namespace Cohort.Sql.Ast;

/// <summary><c>DROP TABLE [IF EXISTS] name</c>.</summary>
/// <param name="Name">The table name (normalized).</param>
/// <param name="IfExists">Whether IF EXISTS was given.</param>
internal sealed record DropTableStatement(
    string Name,
    bool IfExists) : Statement;
