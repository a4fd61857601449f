using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary><c>INSERT INTO t [(cols)] VALUES … | SELECT … [ON CONFLICT …] [RETURNING …]</c>.</summary>
/// <param name="Table">The target table (normalized).</param>
/// <param name="Columns">The column list; empty when omitted.</param>
/// <param name="Source">The rows.</param>
/// <param name="OnConflict">The ON CONFLICT clause, or null.</param>
/// <param name="Returning">The RETURNING list; empty when absent.</param>
internal sealed record InsertStatement(
    string Table,
    ImmutableArray<string> Columns,
    InsertSource Source,
    OnConflictClause? OnConflict,
    ImmutableArray<SelectItem> Returning) : Statement;
