using System.Collections.Immutable;

namespace Cohort.Sql.Ast;

/// <summary>A function or aggregate call: <c>name(args)</c>, <c>name(DISTINCT args)</c> or <c>name(*)</c>.</summary>
/// <param name="Name">The function name (normalized).</param>
/// <param name="Arguments">The arguments (empty for <c>name(*)</c>).</param>
/// <param name="Distinct">Whether DISTINCT was given.</param>
/// <param name="IsStar">Whether the call is <c>name(*)</c>, as in COUNT(*).</param>
internal sealed record FunctionCall(
    string Name,
    ImmutableArray<Expression> Arguments,
    bool Distinct,
    bool IsStar) : Expression;
