using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Transport;

namespace Cohort.Server.Services;

/// <summary>
/// Finds transactions across the cluster. A transaction is known to the node that coordinated it, which need not be
/// today's master, so lookups and listings ask this node's coordinator and then every other alive member
/// (<c>/internal/tx</c>). Transactions are described as the API answers them (<see cref="Describe"/>).
/// </summary>
internal sealed class TransactionDirectory(string self, ClusterAgent cluster, Coordinator coordinator, NodeClient client)
{
    /// <summary>The page size of <c>GET /v1/tx</c> when the request names none.</summary>
    public const int DefaultListLimit = 100;

    /// <summary>The largest page of <c>GET /v1/tx</c>.</summary>
    public const int MaxListLimit = 1000;

    /// <summary>The transaction as this node's coordinator knows it, or null.</summary>
    public Value? FindLocal(TxId txId) => coordinator.GetStatus(txId) is { } status ? Describe(status) : (Value?)null;

    /// <summary>The transaction as this node's coordinator knows it (<c>/internal/tx/{id}</c>); <paramref name="requested"/> is the id as asked.</summary>
    public Value GetLocal(TxId txId, string requested) =>
        FindLocal(txId) ?? throw new CohortException(ErrorCodes.UnknownTransaction, $"Transaction {requested} is not known to {self}.", isTransient: false);

    /// <summary>
    /// The transaction as the first alive member that knows it describes it: this node, then the others (this node
    /// asks them when it is the master, to which the others pass the request on).
    /// </summary>
    public async Task<Value> FindAsync(TxId txId, string requested, CancellationToken cancellationToken)
    {
        if (FindLocal(txId) is { } local)
        {
            return local;
        }

        foreach (var member in cluster.AliveMembers.Where(m => m != self))
        {
            try
            {
                return await client.GetAsync(member, $"internal/tx/{txId}", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CohortException or TimeoutException)
            {
                // Not that node's, or it is gone or slow: ask the next.
            }
        }

        throw new CohortException(ErrorCodes.UnknownTransaction, $"Transaction {requested} is not known to any alive coordinator (never begun, finished long ago, or its coordinator is down).", isTransient: false);
    }

    /// <summary>
    /// This node's coordinator's transactions (in <paramref name="state"/> and with label <paramref name="label"/> when
    /// given): the first <paramref name="limit"/> after <paramref name="after"/>, in TxId order.
    /// </summary>
    public IReadOnlyList<Value> ListLocal(TransactionState? state, int limit, TxId? after, string? label = null, bool newestFirst = false) =>
        [.. coordinator.List(state, limit, after, label, newestFirst).Select(Describe)];

    /// <summary>
    /// One page of what every alive node's coordinator holds, in TxId order: each node gives its first
    /// <paramref name="limit"/>+1 after the cursor, so this node knows whether another page follows.
    /// </summary>
    /// <remarks>
    /// With <paramref name="newestFirst"/> the page is the newest <paramref name="limit"/> instead, newest first, and has
    /// no next page (<paramref name="after"/> must be null): what a dashboard shows of recent transactions.
    /// </remarks>
    public async Task<TransactionPage> ListAsync(TransactionState? state, int limit, TxId? after, string? label, bool newestFirst, CancellationToken cancellationToken)
    {
        var all = coordinator.List(state, limit + 1, after, label, newestFirst).Select(s => (s.TxId, Value: Describe(s))).ToList();
        var query = ListQuery(state, limit + 1, after, label) + (newestFirst ? "&order=newest" : string.Empty);
        foreach (var member in cluster.AliveMembers.Where(m => m != self))
        {
            try
            {
                var answer = await client.GetAsync(member, "internal/tx" + query, cancellationToken).ConfigureAwait(false);
                all.AddRange(WireFields.List(answer, "transactions").Select(t => (WireFields.Tx(t), t)));
            }
            catch (Exception e) when (e is CohortException or TimeoutException)
            {
                // A node that went down since the last heartbeat: its transactions show up once it is back.
            }
        }

        return newestFirst
            ? new TransactionPage([.. all.DistinctBy(t => t.TxId).OrderByDescending(t => t.TxId).Take(limit).Select(t => t.Value)], null)
            : Page(all, limit);
    }

    /// <summary>
    /// The first <paramref name="limit"/> of <paramref name="found"/> (gathered from several nodes, so possibly repeated
    /// and out of order) in TxId order, with the cursor of the next page when more were found.
    /// </summary>
    public static TransactionPage Page(IEnumerable<(TxId TxId, Value Value)> found, int limit)
    {
        ArgumentNullException.ThrowIfNull(found);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var page = found.DistinctBy(t => t.TxId).OrderBy(t => t.TxId).Take(limit + 1).ToList();
        var more = page.Count > limit;
        if (more)
        {
            page.RemoveAt(limit);
        }

        return new TransactionPage([.. page.Select(t => t.Value)], more ? page[^1].TxId : null);
    }

    /// <summary>The query string of <c>/internal/tx</c> for one node's part of a page.</summary>
    public static string ListQuery(TransactionState? state, int limit, TxId? after, string? label = null) =>
        $"?limit={limit}{(state is { } s ? "&state=" + s.ToWireName() : string.Empty)}{(after is { } a ? "&after=" + a : string.Empty)}"
        + (label is null ? string.Empty : "&label=" + Uri.EscapeDataString(label));

    /// <summary>A transaction's status as the API answers it.</summary>
    public static Value Describe(TxStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new TransactionInfo(
            status.TxId,
            status.State,
            status.Label,
            status.Deadline,
            status.Reason,
            [.. status.Participants.Select(p => new ParticipantInfo(p.Resource, p.Node, p.MayWrite, p.Vote?.ToString(), p.Acknowledged))],
            status.CommitTimestamp ?? status.Decision?.CommitTimestamp,
            status.Decision?.Epoch)
        {
            Timeline = status.Timeline is { } timeline ? [.. timeline] : [],
        }.ToValue();
    }
}
