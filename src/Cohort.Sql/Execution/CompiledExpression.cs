using Cohort.Core;

namespace Cohort.Sql.Execution;

/// <summary>
/// A bound expression, ready to evaluate over rows of the schema it was compiled against. Immutable and
/// thread-safe: compile once, evaluate many times, from any thread.
/// </summary>
internal abstract class CompiledExpression
{
    /// <summary>Evaluates the expression over <paramref name="row"/>.</summary>
    /// <exception cref="CohortException">A SQL error (types, division by zero, overflow, a missing parameter…).</exception>
    public abstract Value Evaluate(ReadOnlySpan<Value> row, EvaluationContext context);

    /// <summary>Evaluates the expression as a condition (WHERE, ON, HAVING): only TRUE passes, FALSE and NULL do not.</summary>
    /// <exception cref="CohortException">A SQL error, or the result is not a boolean.</exception>
    public bool IsSatisfied(ReadOnlySpan<Value> row, EvaluationContext context)
    {
        var value = Evaluate(row, context);
        return value.Kind switch
        {
            ValueKind.Bool => value.AsBool(),
            ValueKind.Null => false,
            _ => throw SqlError.Type($"argument of WHERE must be type boolean, not type {SqlSemantics.TypeName(value)}"),
        };
    }
}
