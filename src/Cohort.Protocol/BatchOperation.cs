using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>One operation of a one-shot batch.</summary>
/// <param name="Resource">The resource.</param>
/// <param name="Operation">The operation.</param>
public readonly record struct BatchOperation(string Resource, Operation Operation);
