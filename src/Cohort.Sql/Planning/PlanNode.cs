using Cohort.Core;
using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>
/// An operator of a query plan. Plans are immutable and shared by concurrent executions of the same statement
/// text (the plan cache); everything one execution needs lives in the <see cref="ExecutionState"/> and the
/// <see cref="EvaluationContext"/> passed in.
/// </summary>
internal abstract class PlanNode
{
    /// <summary>The shape of the rows the operator produces.</summary>
    public abstract RowSchema Schema { get; }

    /// <summary>The operator's inputs.</summary>
    public virtual IReadOnlyList<PlanNode> Children => [];

    /// <summary>The operator's line in EXPLAIN output.</summary>
    public abstract string Title { get; }

    /// <summary>Extra EXPLAIN lines (conditions, keys).</summary>
    public virtual IEnumerable<string> Details => [];

    /// <summary>Produces the rows. Never waits: the ranges it reads were made stable before execution began.</summary>
    public abstract IEnumerable<Value[]> Execute(ExecutionState state, EvaluationContext context);
}
