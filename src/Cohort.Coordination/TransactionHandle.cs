using Cohort.Core;

namespace Cohort.Coordination;

/// <summary>A begun transaction (the answer of <c>POST /v1/tx</c>).</summary>
/// <param name="TxId">The transaction id.</param>
/// <param name="Deadline">After this instant the transaction aborts.</param>
public readonly record struct TransactionHandle(TxId TxId, DateTimeOffset Deadline);
