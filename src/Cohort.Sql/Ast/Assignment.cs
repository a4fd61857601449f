namespace Cohort.Sql.Ast;

/// <summary><c>column = value</c> in UPDATE SET or ON CONFLICT DO UPDATE SET.</summary>
/// <param name="Column">The column (normalized).</param>
/// <param name="Value">The new value.</param>
internal sealed record Assignment(
    string Column,
    Expression Value) : SqlNode;
