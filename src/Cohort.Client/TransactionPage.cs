using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Client;

/// <summary>One page of <c>GET /v1/tx</c>: transactions in <see cref="TxId"/> order, and the cursor of the next page.</summary>
/// <param name="Transactions">The transactions of this page.</param>
/// <param name="Next">Pass as <c>after</c> to get the next page; null on the last page.</param>
public sealed record TransactionPage(IReadOnlyList<TransactionInfo> Transactions, TxId? Next);
