using Cohort.Sql.Ast;
using Cohort.Sql.Execution;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>
/// A planned SELECT, INSERT, UPDATE, DELETE or EXPLAIN, with what it depends on: the schemas it was planned against,
/// its scans (locked or waited for before execution) and its subqueries. Immutable; shared through the plan cache.
/// </summary>
internal sealed class StatementPlan
{
    public required IReadOnlyDictionary<string, TableSchema?> Dependencies { get; init; }

    public required IReadOnlyList<ScanNode> Scans { get; init; }

    public required IReadOnlyDictionary<QueryExpression, SubqueryPlan> Subqueries { get; init; }

    /// <summary>The SELECT, or the rows an INSERT … SELECT inserts.</summary>
    public QueryPlan? Query { get; init; }

    /// <summary>For INSERT, UPDATE and DELETE: what is written.</summary>
    public WritePlan? Write { get; init; }

    /// <summary>For EXPLAIN: the plan explained.</summary>
    public StatementPlan? Explained { get; init; }

    /// <summary>Whether the schemas <paramref name="view"/> shows are the ones this plan was made against.</summary>
    public bool IsValidFor(ISqlView view)
    {
        foreach (var (table, schema) in Dependencies)
        {
            if (!ReferenceEquals(view.FindTable(table), schema))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The written table and how rows are produced or found.</summary>
    internal sealed class WritePlan
    {
        public required WriteKind Kind { get; init; }

        public required TableSchema Table { get; init; }

        /// <summary>INSERT: the target column of each source value.</summary>
        public IReadOnlyList<int> Columns { get; init; } = [];

        /// <summary>INSERT … VALUES: the rows of expressions (else <see cref="Query"/> supplies the rows).</summary>
        public IReadOnlyList<IReadOnlyList<CompiledExpression>>? Values { get; init; }

        /// <summary>INSERT: the DEFAULT of each column (null = NULL).</summary>
        public IReadOnlyList<CompiledExpression?> Defaults { get; init; } = [];

        /// <summary>INSERT … ON CONFLICT: the constraint it applies to (null: any).</summary>
        public ConflictTarget? Conflict { get; init; }

        /// <summary>UPDATE and DELETE: the rows' scan.</summary>
        public ScanNode? Scan { get; init; }

        /// <summary>UPDATE and DELETE: the WHERE condition (over the table's row).</summary>
        public CompiledExpression? Filter { get; init; }

        /// <summary>UPDATE, and INSERT … ON CONFLICT DO UPDATE: column index and new value (over the row, then EXCLUDED's).</summary>
        public IReadOnlyList<(int Column, CompiledExpression Value)> Assignments { get; init; } = [];

        /// <summary>RETURNING expressions (over the table's row), or empty.</summary>
        public IReadOnlyList<CompiledExpression> Returning { get; init; } = [];

        /// <summary>RETURNING column names.</summary>
        public IReadOnlyList<string> ReturningNames { get; init; } = [];
    }

    /// <summary>The ON CONFLICT clause.</summary>
    /// <param name="Action">DO NOTHING or DO UPDATE.</param>
    /// <param name="Index">The unique index named by the target columns; null for the primary key or when no target was given.</param>
    /// <param name="AnyConstraint">Whether no target was given (DO NOTHING on any unique violation).</param>
    /// <param name="Where">DO UPDATE … WHERE, over the row then EXCLUDED's.</param>
    internal sealed record ConflictTarget(ConflictAction Action, IndexSchema? Index, bool AnyConstraint, CompiledExpression? Where);

    /// <summary>What a write plan does.</summary>
    internal enum WriteKind
    {
        Insert,
        Update,
        Delete,
    }
}
