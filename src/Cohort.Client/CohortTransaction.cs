using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Client;

/// <summary>
/// An interactive transaction. Operations run as they are called (taking locks; reads see the transaction's own writes);
/// nothing is visible to others until <see cref="CommitAsync"/> succeeds. Disposing a transaction that was neither committed
/// nor aborted aborts it. Not thread-safe: one caller at a time.
/// </summary>
public sealed class CohortTransaction : IOperationRunner, IAsyncDisposable
{
    private readonly CohortClient _client;
    private bool _finished;

    internal CohortTransaction(CohortClient client, TxId id, DateTimeOffset? deadline)
    {
        _client = client;
        Id = id;
        Deadline = deadline;
    }

    /// <summary>The transaction id.</summary>
    public TxId Id { get; }

    /// <summary>When the cluster aborts the transaction if it has not committed, as the coordinator set it.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Whether the transaction was committed or aborted (or found aborted by the cluster).</summary>
    public bool IsFinished => _finished;

    /// <summary>The key-value resource <paramref name="resource"/> (<c>kv:…</c>) within this transaction.</summary>
    /// <param name="resource">A <c>kv:</c> resource name.</param>
    /// <returns>A typed client.</returns>
    public KvClient Kv(string resource) => new(this, ResourceNames.Check(resource, ResourceNames.KvPrefix));

    /// <summary>The queue resource <paramref name="resource"/> (<c>queue:…</c>) within this transaction.</summary>
    /// <param name="resource">A <c>queue:</c> resource name.</param>
    /// <returns>A typed client.</returns>
    public QueueClient Queue(string resource) => new(this, ResourceNames.Check(resource, ResourceNames.QueuePrefix));

    /// <summary>The token resource <paramref name="resource"/> (<c>resource:…</c>) within this transaction.</summary>
    /// <param name="resource">A <c>resource:</c> resource name.</param>
    /// <returns>A typed client.</returns>
    public ResourceClient Resource(string resource) => new(this, ResourceNames.Check(resource, ResourceNames.ResourcePrefix));

    /// <summary>The embedded SQL resource <paramref name="resource"/> (<c>sql:…</c>) within this transaction.</summary>
    /// <param name="resource">A <c>sql:</c> resource name (a node's default shard is <c>sql:default@host:port</c>).</param>
    /// <returns>A typed client.</returns>
    public SqlClient Sql(string resource = ResourceNames.DefaultSql) => new(this, ResourceNames.Check(resource, ResourceNames.SqlPrefix));

    /// <summary>The PostgreSQL resource <paramref name="resource"/> (<c>pg:…</c>) within this transaction; same shape as <see cref="Sql"/>.</summary>
    /// <param name="resource">A <c>pg:</c> resource name.</param>
    /// <returns>A typed client.</returns>
    public SqlClient Pg(string resource) => new(this, ResourceNames.Check(resource, ResourceNames.PgPrefix));

    /// <summary>Runs one operation in the transaction and returns its result.</summary>
    /// <param name="operation">The operation (see <see cref="CohortOps"/>).</param>
    /// <param name="cancellationToken">Cancels waiting for the answer.</param>
    /// <returns>The operation's result (<see cref="Value.Null"/> for none).</returns>
    /// <exception cref="CohortAbortedException">The operation failed in a way that aborted the transaction (a conflict, the deadline, a lost participant).</exception>
    /// <exception cref="CohortClientException">The operation failed (bad arguments, insufficient funds, a constraint); the transaction stays usable.</exception>
    public Task<Value> RunAsync(CohortOperation operation, CancellationToken cancellationToken = default)
    {
        return CohortClient.TracedAsync("cohort.op", Id, operation.Resource, activity =>
        {
            activity?.SetTag(Core.Diagnostics.CohortTelemetry.OperationAttribute, operation.Op.Kind == ValueKind.Map ? operation.Op.AsMap().Keys.FirstOrDefault() : null);
            return RunCoreAsync(operation, cancellationToken);
        });
    }

    private async Task<Value> RunCoreAsync(CohortOperation operation, CancellationToken cancellationToken)
    {
        ThrowIfFinished();
        Value answer;
        try
        {
            answer = await _client.SendAsync(HttpMethod.Post, $"v1/tx/{Id}/ops", operation.ToValue(), idempotent: false, cancellationToken).ConfigureAwait(false);
        }
        catch (LostAnswerException e)
        {
            throw new CohortClientException(ErrorCodes.Unavailable, $"The operation on {operation.Resource} may or may not have run (its answer was lost: {e.Message}); abort the transaction and run it again.", e.StatusCode, isTransient: true, e);
        }
        catch (CohortClientException e) when (e is not CohortAbortedException && ErrorCatalog.Of(e.Code).AbortsTransaction)
        {
            _finished = true;
            throw new CohortAbortedException(Id, e.Code, e.Message, e.StatusCode);
        }

        return answer.TryGetField("result", out var result) ? result : Value.Null;
    }

    /// <summary>
    /// Commits the transaction. A commit is never sent twice blindly: when its answer is lost, the client asks the
    /// coordinator what became of the transaction, and reports in-doubt if it cannot find out.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting (the commit may still happen).</param>
    /// <returns>The commit's timestamp (the snapshot at which its writes are first visible).</returns>
    /// <exception cref="CohortAbortedException">The transaction aborted: nothing of it is visible. The code says why.</exception>
    /// <exception cref="CohortInDoubtException">The outcome is unknown; the cluster settles it later.</exception>
    public Task<CommitResult> CommitAsync(CancellationToken cancellationToken = default) =>
        CohortClient.TracedAsync("cohort.commit", Id, null, async activity =>
        {
            var result = await CommitCoreAsync(cancellationToken).ConfigureAwait(false);
            activity?.SetTag(Core.Diagnostics.CohortTelemetry.OutcomeAttribute, "committed");
            return result;
        });

    private async Task<CommitResult> CommitCoreAsync(CancellationToken cancellationToken)
    {
        ThrowIfFinished();
        try
        {
            var answer = await _client.SendAsync(HttpMethod.Post, $"v1/tx/{Id}/commit", null, idempotent: false, cancellationToken).ConfigureAwait(false);
            _finished = true;
            return new CommitResult(Id, CohortClient.ThrowUnlessCommitted(Id, answer, 200));
        }
        catch (LostAnswerException e)
        {
            try
            {
                return await ResolveAsync(e.Message, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _finished = true;
            }
        }
        catch (CohortClientException e) when (e is not CohortAbortedException and not CohortInDoubtException && e.StatusCode is >= 400 and < 500)
        {
            // The coordinator refused the very first commit: the transaction is not active there (unknown to it, already
            // aborted, expired), so no commit was ever decided for it.
            _finished = true;
            throw new CohortAbortedException(Id, e.Code, e.Message, e.StatusCode);
        }
        catch (CohortClientException e) when (e is not CohortAbortedException and not CohortInDoubtException)
        {
            _finished = true;
            throw new CohortInDoubtException(Id, e.Message, e);
        }
    }

    /// <summary>Aborts the transaction. Harmless when it already ended.</summary>
    /// <param name="cancellationToken">Cancels waiting.</param>
    /// <returns>A task that completes when the cluster has taken the abort.</returns>
    /// <exception cref="CohortClientException">The cluster could not be reached (the transaction still aborts at its deadline).</exception>
    public async Task AbortAsync(CancellationToken cancellationToken = default)
    {
        if (_finished)
        {
            return;
        }

        try
        {
            await _client.SendAsync(HttpMethod.Post, $"v1/tx/{Id}/abort", null, idempotent: true, cancellationToken).ConfigureAwait(false);
        }
        catch (CohortClientException e) when (e.Code is ErrorCodes.UnknownTransaction or ErrorCodes.NotActive or ErrorCodes.Aborted or ErrorCodes.Expired)
        {
            // Already gone: that is what abort wanted.
        }

        _finished = true;
    }

    /// <summary>Aborts the transaction unless it was committed or aborted; never throws.</summary>
    /// <returns>A task that completes when the abort was sent.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_finished)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await AbortAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CohortException or OperationCanceledException)
        {
            // Best effort: the coordinator aborts it at its deadline anyway.
        }

        _finished = true;
    }

    /// <inheritdoc/>
    public override string ToString() => $"transaction {Id}";

    Task<Value> IOperationRunner.RunAsync(CohortOperation operation, CancellationToken cancellationToken) => RunAsync(operation, cancellationToken);

    // The commit may have arrived. Ask the coordinator until it knows, bounded by the resolution timeout.
    private async Task<CommitResult> ResolveAsync(string why, CancellationToken cancellationToken)
    {
        ClientLog.Resolving(_client.Logger, Id.ToString(), why);
        try
        {
            var result = await AskOutcomeAsync(why, cancellationToken).ConfigureAwait(false);
            ClientLog.Resolved(_client.Logger, Id.ToString(), "committed");
            return result;
        }
        catch (CohortAbortedException)
        {
            ClientLog.Resolved(_client.Logger, Id.ToString(), "aborted");
            throw;
        }
        catch (CohortInDoubtException e)
        {
            ClientLog.InDoubt(_client.Logger, Id.ToString(), e.Message);
            throw;
        }
    }

    private async Task<CommitResult> AskOutcomeAsync(string why, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + _client.Options.CommitResolutionTimeout;
        var resent = false;
        var last = why;
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));
        while (true)
        {
            try
            {
                var info = await _client.GetTransactionAsync(Id, cancellationToken).ConfigureAwait(false);
                switch (info.State)
                {
                    case TransactionState.Committed:
                    case TransactionState.Committing:
                        return new CommitResult(Id, info.CommitTimestamp ?? default);
                    case TransactionState.Aborted:
                        throw new CohortAbortedException(Id, ErrorCodes.Aborted, info.Reason ?? "aborted");
                    case TransactionState.InDoubt:
                        throw new CohortInDoubtException(Id, info.Reason ?? "the coordinator reports the outcome in doubt");
                    case TransactionState.Active when !resent:
                        // Still active: the commit never reached the coordinator, so sending it now is the first commit.
                        resent = true;
                        var answer = await _client.SendAsync(HttpMethod.Post, $"v1/tx/{Id}/commit", null, idempotent: false, cancellationToken).ConfigureAwait(false);
                        return new CommitResult(Id, CohortClient.ThrowUnlessCommitted(Id, answer, 200));
                    default:
                        last = $"the coordinator reports it {info.State}";
                        break;
                }
            }
            catch (LostAnswerException e)
            {
                last = e.Message;
            }
            catch (CohortClientException e) when (e is not CohortAbortedException and not CohortInDoubtException)
            {
                // Unreachable, or a coordinator that does not know it (restarted without a decision for it, or a new one):
                // neither proves it aborted.
                last = e.Message;
            }

            var pause = backoff.Next();
            if (DateTime.UtcNow + pause > until)
            {
                throw new CohortInDoubtException(Id, $"the commit's answer was lost ({why}) and the outcome could not be learnt within {_client.Options.CommitResolutionTimeout.TotalSeconds:0.#} s: {last}");
            }

            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
    }

    private void ThrowIfFinished()
    {
        if (_finished)
        {
            throw new InvalidOperationException($"Transaction {Id} has already committed or aborted.");
        }
    }
}
