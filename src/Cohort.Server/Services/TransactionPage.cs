namespace Cohort.Server.Services;

/// <summary>One page of <c>GET /v1/tx</c>.</summary>
/// <param name="Transactions">The transactions, as the API describes them, in TxId order.</param>
/// <param name="Next">The cursor of the next page (the last transaction's id), or null on the last page.</param>
internal sealed record TransactionPage(IReadOnlyList<Cohort.Core.Value> Transactions, Cohort.Core.TxId? Next);
