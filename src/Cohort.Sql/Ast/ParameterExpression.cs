namespace Cohort.Sql.Ast;

/// <summary>A parameter marker, <c>$n</c> or <c>?</c>; <c>?</c> markers are numbered from 1 in order of appearance.</summary>
/// <param name="Index">The 1-based parameter number.</param>
internal sealed record ParameterExpression(
    int Index) : Expression;
