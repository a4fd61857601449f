using Cohort.Engines.Sql.Execution;

namespace Cohort.Engines.Sql.Planning;

/// <summary>One bound of an access path: a value computed per execution (constants, parameters, outer columns).</summary>
internal sealed record KeyBound(CompiledExpression Expression, bool Inclusive, string Text);
