using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>ON CONFLICT [(cols)] DO NOTHING | DO UPDATE SET … [WHERE …]</c>.</summary>
/// <param name="TargetColumns">The conflict target columns; empty when none was given (only allowed with DO NOTHING).</param>
/// <param name="Action">The action.</param>
/// <param name="Assignments">For DO UPDATE, the assignments (at least one); otherwise empty. EXCLUDED.col refers to the proposed row.</param>
/// <param name="Where">For DO UPDATE, the optional WHERE; otherwise null.</param>
internal sealed record OnConflictClause(
    ImmutableArray<string> TargetColumns,
    ConflictAction Action,
    ImmutableArray<Assignment> Assignments,
    Expression? Where) : SqlNode;
