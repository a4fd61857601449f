using Cohort.Cluster;
using Cohort.Core;
using dotnet_etcd;
using dotnet_etcd.interfaces;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cohort.Etcd;

/// <summary>
/// The replicated resources' configurations in etcd: <c>&lt;prefix&gt;/configs/&lt;name&gt;</c> holds the configuration
/// of resource <c>name</c> as JSON (<see cref="ResourceConfiguration.Encode"/>). Every node reads the range once and
/// then watches it, so every node sees every configuration change, in etcd's revision order.
/// </summary>
/// <remarks>
/// <para>
/// Only the leader writes, and every write is one etcd transaction fenced like the membership's: the leader key must
/// be the writer's (<see cref="EtcdResourceConfigurationsOptions.Node"/>) at its epoch, and the configuration key
/// absent (<see cref="CreateAsync"/>) or still at the mod revision of the version the change was computed from
/// (<see cref="ChangeAsync"/>). A deposed leader's write, or one computed from an old configuration, changes nothing.
/// </para>
/// <para>
/// The view only moves forward in revision order: a write returns once the view shows its revision (the watch
/// delivers it, or a fresh read when the watch lags), never by patching the view out of order.
/// </para>
/// </remarks>
public sealed partial class EtcdResourceConfigurations : IResourceConfigurations, IAsyncDisposable
{
    private readonly IConnection _etcd;
    private readonly EtcdResourceConfigurationsOptions _options;
    private readonly EtcdKeys _keys;
    private readonly ByteString _me;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _watch = Task.CompletedTask;
    private int _started;

    /// <summary>Creates the view; it reads and watches once <see cref="StartAsync"/> is called.</summary>
    /// <param name="client">The etcd client (see <see cref="EtcdClientFactory"/>); not owned, the caller disposes it after this.</param>
    /// <param name="options">Key prefix, this node's address, time budgets.</param>
    /// <param name="logger">Where writes, undecodable values and watch failures are logged.</param>
    /// <param name="time">The clock of retries and time budgets.</param>
    public EtcdResourceConfigurations(EtcdClient client, EtcdResourceConfigurationsOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _etcd = client.GetConnection();
        _options = options;
        _keys = new EtcdKeys(options.KeyPrefix);
        _me = ByteString.CopyFromUtf8(options.Node);
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    /// <remarks>Raised on the watch's thread, or on a writer's when a fresh read moved the view.</remarks>
    public event Action<ResourceConfiguration>? Changed;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, ResourceConfiguration> Current => Volatile.Read(ref _current);

    /// <summary>The etcd revision the view reflects (0 before the first read).</summary>
    public long Revision
    {
        get
        {
            lock (_gate)
            {
                return _revision;
            }
        }
    }

    /// <summary>
    /// Reads every configuration (retrying for <see cref="EtcdResourceConfigurationsOptions.OpenTimeout"/> while etcd
    /// does not answer), then watches them until disposed.
    /// </summary>
    /// <param name="cancellationToken">Cancels the first read.</param>
    /// <returns>A task that completes once the first read is in <see cref="Current"/>.</returns>
    /// <exception cref="CohortException"><c>unavailable</c> when etcd did not answer in time.</exception>
    /// <exception cref="InvalidOperationException">Started already.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The resource configurations were started already.");
        }

        await RetryAsync(
            async () =>
            {
                await ReadRangeAsync(cancellationToken).ConfigureAwait(false);
                return true;
            },
            new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), jitter: 0.5),
            _options.OpenTimeout,
            (attempt, error) => Log.ConfigurationsReadRetry(_logger, attempt, error),
            cancellationToken).ConfigureAwait(false);

        Log.ConfigurationsOpened(_logger, _keys.Prefix, Current.Count);
        _watch = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    public async Task<ResourceConfiguration> CreateAsync(long epoch, ResourceConfiguration initial, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(initial);
        initial.Validate();
        if (initial.Version != 1)
        {
            throw new ArgumentException($"{initial.Resource}: a configuration is created at version 1, not {initial.Version}.", nameof(initial));
        }

        EnsureStarted();
        var key = _keys.Config(initial.Resource);
        var value = ByteString.CopyFrom(initial.Encode());
        var txn = new TxnRequest();
        _keys.AddFence(txn, epoch, _me);
        txn.Compare.Add(EtcdKeys.Absent(key));
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = value } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = _keys.Leader } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
        var (answer, retried) = await TxnAsync(txn, $"the creation of {initial.Resource}'s configuration", cancellationToken).ConfigureAwait(false);
        if (!answer.Succeeded)
        {
            var stored = Stored(answer.Responses[1]);

            // An earlier attempt whose answer was lost may have landed: the key then holds exactly this write.
            if (!(retried && stored is not null && stored.Value == value))
            {
                if (!EtcdKeys.Holds(answer.Responses[0], epoch, _me))
                {
                    throw NotLeading(initial.Resource, epoch, answer.Responses[0]);
                }

                await CatchUpAsync(stored?.ModRevision ?? answer.Header.Revision, cancellationToken).ConfigureAwait(false);
                throw new CohortException(
                    ErrorCodes.ConfigurationMoved,
                    $"{initial.Resource} has a configuration already ({Describe(initial.Resource)}); it was not created again.",
                    isTransient: false);
            }

            await CatchUpAsync(stored.ModRevision, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await CatchUpAsync(answer.Header.Revision, cancellationToken).ConfigureAwait(false);
        }

        Log.ConfigurationWritten(_logger, initial, epoch);
        return initial;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    public async Task<ResourceConfiguration> ChangeAsync(long epoch, ResourceConfiguration next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        next.Validate();
        if (next.Version < 2)
        {
            throw new ArgumentException($"{next.Resource}: a change makes version 2 or later, not {next.Version} (version 1 is created).", nameof(next));
        }

        EnsureStarted();
        var from = Entry(next.Resource);
        if (from is null || from.Value.Configuration.Version < next.Version - 1)
        {
            // The view may lag the version the change was computed from (read with ReadAsync, say): catch it up.
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
            from = Entry(next.Resource);
        }

        if (from is not { } expected)
        {
            throw new CohortException(
                ErrorCodes.UnknownResource,
                $"{next.Resource} has no configuration to change (none was created, or its stored value does not decode).",
                isTransient: false);
        }

        if (expected.Configuration.Version != next.Version - 1)
        {
            throw Moved(next);
        }

        var key = _keys.Config(next.Resource);
        var value = ByteString.CopyFrom(next.Encode());
        var txn = new TxnRequest();
        _keys.AddFence(txn, epoch, _me);
        txn.Compare.Add(new Compare
        {
            Key = key,
            Target = Compare.Types.CompareTarget.Mod,
            Result = Compare.Types.CompareResult.Equal,
            ModRevision = expected.ModRevision,
        });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = value } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = _keys.Leader } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
        var (answer, retried) = await TxnAsync(txn, $"the change of {next.Resource}'s configuration to version {next.Version}", cancellationToken).ConfigureAwait(false);
        if (!answer.Succeeded)
        {
            var stored = Stored(answer.Responses[1]);
            if (!(retried && stored is not null && stored.Value == value))
            {
                if (!EtcdKeys.Holds(answer.Responses[0], epoch, _me))
                {
                    throw NotLeading(next.Resource, epoch, answer.Responses[0]);
                }

                // The configuration moved under us: catch up to the write that moved it, and let the caller compute again.
                await CatchUpAsync(stored?.ModRevision ?? answer.Header.Revision, cancellationToken).ConfigureAwait(false);
                throw Moved(next);
            }

            await CatchUpAsync(stored.ModRevision, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await CatchUpAsync(answer.Header.Revision, cancellationToken).ConfigureAwait(false);
        }

        Log.ConfigurationWritten(_logger, next, epoch);
        return next;
    }

    /// <inheritdoc/>
    public async Task<ResourceConfiguration?> ReadAsync(string resource, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        var key = _keys.Config(resource);
        var what = $"the read of {resource}'s configuration";
        var answer = await RetryAsync(
            async () =>
            {
                try
                {
                    return await _etcd.KVClient.RangeAsync(
                        new RangeRequest { Key = key },
                        deadline: DateTime.UtcNow + _options.RequestTimeout,
                        cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                }
                catch (Exception e) when (EtcdErrors.IsCall(e) && !cancellationToken.IsCancellationRequested)
                {
                    throw EtcdErrors.ToCohort(e, what);
                }
            },
            new Backoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500), jitter: 0.5),
            _options.RetryTimeout,
            (attempt, error) => Log.ConfigurationsWriteRetry(_logger, what, attempt, error),
            cancellationToken).ConfigureAwait(false);
        return answer.Kvs.Count == 0 ? null : Decode(resource, answer.Kvs[0].Value);
    }

    /// <summary>Stops watching.</summary>
    /// <returns>A task that completes once the watch has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _watch.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private void EnsureStarted()
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        if (Volatile.Read(ref _started) == 0)
        {
            throw new InvalidOperationException("The resource configurations are not started: StartAsync first.");
        }
    }

    /// <summary>
    /// Runs one write, retried with backoff for <see cref="EtcdResourceConfigurationsOptions.RetryTimeout"/> while etcd
    /// does not answer; says whether an earlier attempt (which may have landed) went before the answer.
    /// </summary>
    private async Task<(TxnResponse Answer, bool Retried)> TxnAsync(TxnRequest txn, string what, CancellationToken cancellationToken)
    {
        var attempts = 0;
        var answer = await RetryAsync(
            async () =>
            {
                attempts++;
                try
                {
                    return await _etcd.KVClient.TxnAsync(txn, deadline: DateTime.UtcNow + _options.RequestTimeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                }
                catch (Exception e) when (EtcdErrors.IsCall(e) && !cancellationToken.IsCancellationRequested)
                {
                    throw EtcdErrors.ToCohort(e, what);
                }
            },
            new Backoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500), jitter: 0.5),
            _options.RetryTimeout,
            (attempt, error) => Log.ConfigurationsWriteRetry(_logger, what, attempt, error),
            cancellationToken).ConfigureAwait(false);
        return (answer, attempts > 1);
    }

    private Task<T> RetryAsync<T>(Func<Task<T>> call, Backoff backoff, TimeSpan budget, Action<int, string> retrying, CancellationToken cancellationToken) =>
        EtcdRange.RetryAsync(call, backoff, budget, retrying, _time, cancellationToken);

    /// <summary>The configuration key as a failed transaction's range read it, or null when absent.</summary>
    private static Mvccpb.KeyValue? Stored(ResponseOp range) => range.ResponseRange?.Kvs is { Count: > 0 } kvs ? kvs[0] : null;

    private static CohortException NotLeading(string resource, long epoch, ResponseOp leaderRange) => new(
        ErrorCodes.NoLeader,
        $"The configuration of {resource} was not written: this node no longer leads at epoch {epoch} (the leader key {EtcdKeys.Holder(leaderRange)}); retry on the leader.",
        isTransient: true);

    private CohortException Moved(ResourceConfiguration next) => new(
        ErrorCodes.ConfigurationMoved,
        $"{next.Resource}: the change to version {next.Version} was computed from version {next.Version - 1}, but the configuration is {Describe(next.Resource)}; compute it again.",
        isTransient: true);

    private string Describe(string resource) => Current.TryGetValue(resource, out var now) ? $"at version {now.Version}" : "not in the view";
}
