namespace Cohort.Sql.Ast;

/// <summary>A table in FROM (or the target of UPDATE/DELETE), <c>name [AS alias]</c>.</summary>
/// <param name="Name">The table name (normalized).</param>
/// <param name="Alias">The alias (normalized), or null.</param>
internal sealed record TableReference(
    string Name,
    string? Alias) : TableSource;
