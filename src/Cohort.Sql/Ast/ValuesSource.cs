using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>VALUES (…), (…)</c>: the rows to insert.</summary>
/// <param name="Rows">The rows (at least one, each with at least one value).</param>
internal sealed record ValuesSource(
    ImmutableArray<ImmutableArray<Expression>> Rows) : InsertSource;
