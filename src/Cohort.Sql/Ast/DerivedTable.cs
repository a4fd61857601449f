namespace Cohort.Sql.Ast;

/// <summary>A subquery in FROM, <c>(SELECT …) [AS] alias</c>.</summary>
/// <param name="Query">The subquery.</param>
/// <param name="Alias">The alias (required).</param>
internal sealed record DerivedTable(
    SelectStatement Query,
    string Alias) : TableSource;
