using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>One aggregate call of a grouped query: <c>count(*)</c> has no argument.</summary>
internal sealed record AggregateSpec(string Name, CompiledExpression? Argument, bool Distinct, string Text);
