using Cohort.Sql.Execution;

namespace Cohort.Sql.Planning;

/// <summary>One bound of an access path: a value computed per execution (constants, parameters, outer columns).</summary>
internal sealed record KeyBound(CompiledExpression Expression, bool Inclusive, string Text);
