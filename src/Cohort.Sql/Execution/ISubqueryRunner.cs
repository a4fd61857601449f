using Cohort.Core;
using Cohort.Sql.Ast;

namespace Cohort.Sql.Execution;

/// <summary>
/// Runs the subqueries of a compiled expression; implemented by the executor. Each call passes the subquery
/// (the same <see cref="QueryExpression"/> instance on every call for one compiled expression, so an
/// implementation can cache its plan by reference) and the current row of the enclosing query, which a
/// correlated subquery reads through <see cref="EvaluationContext.OuterRow"/> of the context it evaluates with
/// (see <see cref="EvaluationContext.ForSubquery"/>).
/// </summary>
internal interface ISubqueryRunner
{
    /// <summary>Runs a scalar subquery: its single column of at most one row, NULL when it returns no row.</summary>
    /// <exception cref="CohortException">The subquery returns more than one row or column.</exception>
    Value Scalar(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context);

    /// <summary>Whether the subquery returns at least one row (EXISTS).</summary>
    bool Exists(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context);

    /// <summary>The values of the subquery's single column, one per row (for <c>x IN (SELECT …)</c>).</summary>
    /// <exception cref="CohortException">The subquery returns more than one column.</exception>
    IReadOnlyList<Value> Column(QueryExpression query, ReadOnlySpan<Value> outerRow, EvaluationContext context);
}
