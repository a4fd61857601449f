using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>A participant's answer to an <see cref="ApplyRequest"/>.</summary>
/// <param name="Result">The operation's result (<see cref="Value.Null"/> when it has none).</param>
/// <param name="Wrote">
/// Whether the transaction may have written on that resource so far (<see cref="ITransactionalEngine.MayHaveWritten"/>):
/// the coordinator's list of writers, which decides one-phase commit and whether read-only participants keep their locks.
/// </param>
public readonly record struct ApplyAnswer(Value Result, bool Wrote);
