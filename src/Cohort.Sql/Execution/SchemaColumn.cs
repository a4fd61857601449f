using Cohort.Sql.Ast;

namespace Cohort.Sql.Execution;

/// <summary>One column of a <see cref="RowSchema"/>.</summary>
/// <param name="Table">The table name or alias that qualifies the column (normalized), or null for a computed column.</param>
/// <param name="Name">The column name (normalized).</param>
/// <param name="Type">The declared type when known (base table columns, casts), or null.</param>
internal sealed record SchemaColumn(string? Table, string Name, SqlType? Type = null);
