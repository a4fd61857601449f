using Cohort.Core;
using Cohort.Protocol;
using Cohort.Core.Execution;

namespace Cohort.Coordination;

/// <content>The termination protocol: prepared transactions past their deadline ask the coordinator how they ended.</content>
public sealed partial class ParticipantHost
{
    private ITimer? _sweep;
    private Task _running = Task.CompletedTask;
    private int _sweeping;

    /// <summary>Starts the periodic termination sweep (<see cref="ParticipantHostOptions.TerminationInterval"/>).</summary>
    public void Start()
    {
        if (_options.TerminationInterval != Timeout.InfiniteTimeSpan && _sweep is null)
        {
            _sweep = _time.CreateTimer(_ => OnSweepTimer(), null, _options.TerminationInterval, _options.TerminationInterval);
        }
    }

    /// <summary>
    /// Asks the coordinator about every prepared transaction past its deadline — and about every one whose deadline is
    /// not known here, such as those recovered after a restart — and applies the answer; "pending" ones wait for the
    /// next sweep. Each is tried <see cref="ParticipantHostOptions.TerminationAttempts"/> times with doubling delays.
    /// </summary>
    /// <param name="all">Ask about every prepared transaction, deadline or not.</param>
    /// <param name="cancellationToken">Stops the sweep.</param>
    /// <returns>How many prepared transactions were resolved.</returns>
    public async Task<int> ResolvePreparedAsync(bool all, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        foreach (var (key, entry) in _transactions)
        {
            if (entry.Deadline < now)
            {
                // Past the deadline every message for it is refused, so the sequence check has nothing left to protect.
                _transactions.TryRemove(key, out _);
            }
        }

        var work = new List<Task<bool>>();
        foreach (var engine in _engines.Values)
        {
            IReadOnlyList<PreparedTransaction> prepared;
            try
            {
                prepared = engine.GetPrepared();
            }
            catch (CohortException)
            {
                continue;
            }

            var live = new HashSet<TxId>(prepared.Select(p => p.Id));
            foreach (var key in _preparedDeadlines.Keys)
            {
                if (key.Resource == engine.Name && !live.Contains(key.TxId))
                {
                    _preparedDeadlines.TryRemove(key, out _);
                }
            }

            foreach (var p in prepared)
            {
                if (all || !_preparedDeadlines.TryGetValue((engine.Name, p.Id), out var deadline) || deadline <= now)
                {
                    work.Add(ResolveOneAsync(engine, p, cancellationToken));
                }
            }
        }

        var resolved = await Task.WhenAll(work).ConfigureAwait(false);
        return resolved.Count(r => r);
    }

    private async Task<bool> ResolveOneAsync(ITransactionalEngine engine, PreparedTransaction prepared, CancellationToken cancellationToken)
    {
        if (prepared.Coordinator is { } coordinator)
        {
            Log.Terminating(_logger, prepared.Id, engine.Name, coordinator);
        }
        else
        {
            Log.TerminatingViaMaster(_logger, prepared.Id, engine.Name);
        }
        // Doubling from TerminationDelay; TerminationAttempts bounds it, so no cap of its own.
        var backoff = new Backoff(_options.TerminationDelay, TimeSpan.MaxValue);
        for (var attempt = 1; attempt <= _options.TerminationAttempts; attempt++)
        {
            try
            {
                using var timeout = new TimeoutScope(_options.QueryTimeout, _time, cancellationToken);
                var answer = await _decisions.QueryDecisionAsync(prepared.Coordinator, prepared.Id, timeout.Token).ConfigureAwait(false);
                switch (answer.Kind)
                {
                    case DecisionAnswerKind.Committed:
                        await engine.CommitAsync(prepared.Id, answer.CommitTimestamp, cancellationToken).ConfigureAwait(false);
                        Forget(engine.Name, prepared.Id);
                        Log.TerminationResolved(_logger, prepared.Id, engine.Name, "committed");
                        return true;
                    case DecisionAnswerKind.Aborted:
                        await engine.AbortAsync(prepared.Id, cancellationToken).ConfigureAwait(false);
                        Forget(engine.Name, prepared.Id);
                        Log.TerminationResolved(_logger, prepared.Id, engine.Name, "aborted");
                        return true;
                    default:
                        Log.TerminationPending(_logger, prepared.Id, engine.Name, attempt);
                        break;
                }
            }
            catch (Exception e) when (Delivery.Failed(e))
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return false;
                }

                Log.TerminationFailed(_logger, prepared.Id, engine.Name, attempt, e.Message);
            }

            if (attempt < _options.TerminationAttempts)
            {
                try
                {
                    await Task.Delay(backoff.Next(), _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }

        return false;
    }

    private void OnSweepTimer()
    {
        if (Volatile.Read(ref _disposed) != 0 || Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return;
        }

        _running = Executor.Current.Run(async () =>
        {
            try
            {
                await ResolvePreparedAsync(all: false, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CohortException or OperationCanceledException or ObjectDisposedException)
            {
                // The next sweep tries again.
            }
            finally
            {
                Interlocked.Exchange(ref _sweeping, 0);
            }
        });
    }

    private async Task StopSweepAsync()
    {
        if (_sweep is not null)
        {
            await _sweep.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(false);
    }
}
