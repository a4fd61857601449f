using Cohort.Core;

namespace Cohort.Coordination;

/// <summary>The answer to a one-shot batch (<c>POST /v1/batch</c>).</summary>
/// <param name="TxId">The transaction that ran the batch.</param>
/// <param name="Outcome">Committed, aborted or in doubt.</param>
/// <param name="Results">The operations' results in request order; empty unless committed.</param>
public sealed record BatchResult(TxId TxId, TxOutcome Outcome, IReadOnlyList<Value> Results);
