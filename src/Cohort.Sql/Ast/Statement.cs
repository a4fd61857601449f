namespace Cohort.Sql.Ast;

/// <summary>A SQL statement.</summary>
internal abstract record Statement : SqlNode
{
    /// <summary>
    /// The number of parameters the statement takes: the highest <c>$n</c>, or the number of <c>?</c>
    /// markers. Set on statements returned by the parser; 0 on nested statements (subqueries, EXPLAIN's target).
    /// </summary>
    public int ParameterCount { get; init; }
}
