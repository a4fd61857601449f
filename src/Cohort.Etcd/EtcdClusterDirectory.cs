using System.Text.Json;
using Cohort.Cluster;
using Cohort.Core;
using dotnet_etcd;
using dotnet_etcd.interfaces;
using Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mvccpb;

namespace Cohort.Etcd;

/// <summary>
/// Membership and placement in etcd: <c>&lt;prefix&gt;/members</c> holds the member list with its version, and
/// <c>&lt;prefix&gt;/resources/&lt;name&gt;</c> the home node of each resource. Every node reads both once and then
/// watches them (one watch over the range holding both, so changes apply in etcd's revision order), so every node sees
/// the same membership and placement, in the same order.
/// </summary>
/// <remarks>
/// <para>
/// Membership changes only through the leader, by a fenced compare-and-swap (<see cref="WriteMembersAsync"/>): the
/// leader key must be the writer's at its epoch, and the member list still at the version the change was computed
/// from. A resource is claimed by the node that creates it, create-if-absent (<see cref="ClaimAsync"/>), so two nodes
/// creating the same name at once cannot both win.
/// </para>
/// <para>
/// The view only moves forward in revision order: a write returns once the view shows its revision (the watch delivers
/// it, or a fresh read when the watch lags), never by patching the view out of order.
/// </para>
/// </remarks>
public sealed partial class EtcdClusterDirectory : IClusterDirectory, IAsyncDisposable
{
    private readonly IConnection _etcd;
    private readonly EtcdDirectoryOptions _options;
    private readonly EtcdKeys _keys;
    private readonly ByteString _me;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _watch = Task.CompletedTask;
    private int _started;

    // Guarded by _gate: the state as of etcd revision _revision.
    private readonly Dictionary<string, string> _homes = new(StringComparer.Ordinal);
    private long _revision;
    private long _membersVersion;
    private long _membersModRevision;
    private IReadOnlyList<string> _members = [];
    private TaskCompletionSource _advanced = NewSignal();
    private ClusterDirectoryView? _view;

    /// <summary>Creates the directory; it reads and watches once <see cref="StartAsync"/> is called.</summary>
    /// <param name="client">The etcd client (see <see cref="EtcdClientFactory"/>); not owned, the caller disposes it after this.</param>
    /// <param name="options">Key prefix, this node's address, time budgets.</param>
    /// <param name="logger">Where membership writes, claims and watch failures are logged.</param>
    /// <param name="time">The clock of retries and time budgets.</param>
    public EtcdClusterDirectory(EtcdClient client, EtcdDirectoryOptions options, ILogger? logger = null, TimeProvider? time = null)
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
    public event Action? Changed;

    /// <inheritdoc/>
    public ClusterDirectoryView? View => Volatile.Read(ref _view);

    /// <summary>The etcd revision the view reflects.</summary>
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
    /// Reads membership and placement (retrying for <see cref="EtcdDirectoryOptions.OpenTimeout"/> while etcd does not
    /// answer), then watches them until disposed.
    /// </summary>
    /// <exception cref="CohortException"><c>unavailable</c> when etcd did not answer in time; <c>corruption</c> for a membership value that does not decode.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The directory was started already.");
        }

        await RetryAsync(
            async () =>
            {
                await ReadAsync(cancellationToken).ConfigureAwait(false);
                return true;
            },
            new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), jitter: 0.5),
            _options.OpenTimeout,
            (attempt, error) => Log.DirectoryReadRetry(_logger, attempt, error),
            cancellationToken).ConfigureAwait(false);

        var view = View!;
        Log.DirectoryOpened(_logger, _keys.Prefix, view.MembersVersion, string.Join(", ", view.Members), view.Homes.Count);
        _watch = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <inheritdoc/>
    public async Task<long> WriteMembersAsync(long epoch, long expectedVersion, IReadOnlyList<string> members, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(members);
        long modRevision;
        lock (_gate)
        {
            if (_membersVersion != expectedVersion)
            {
                throw MembershipMoved(expectedVersion, _membersVersion);
            }

            modRevision = _membersModRevision;
        }

        var version = expectedVersion + 1;
        var txn = new TxnRequest();
        _keys.AddFence(txn, epoch, _me);
        txn.Compare.Add(new Compare
        {
            Key = _keys.Members,
            Target = Compare.Types.CompareTarget.Mod,
            Result = Compare.Types.CompareResult.Equal,
            ModRevision = modRevision,
        });
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = _keys.Members, Value = EncodeMembers(version, members) } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = _keys.Leader } });
        var answer = await TxnAsync(txn, "the membership write", cancellationToken).ConfigureAwait(false);
        if (!answer.Succeeded)
        {
            if (!EtcdKeys.Holds(answer.Responses[0], epoch, _me))
            {
                throw new CohortException(
                    ErrorCodes.NoLeader,
                    $"The membership was not changed: this node no longer leads at epoch {epoch} (the leader key {EtcdKeys.Holder(answer.Responses[0])}); retry on the leader.",
                    isTransient: true);
            }

            // The list moved under us: catch up, and let the caller compute its change again.
            await CatchUpAsync(answer.Header.Revision, cancellationToken).ConfigureAwait(false);
            throw MembershipMoved(expectedVersion, View?.MembersVersion ?? 0);
        }

        Log.MembersWritten(_logger, version, string.Join(", ", members), epoch);
        await CatchUpAsync(answer.Header.Revision, cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <inheritdoc/>
    public async Task<string> ClaimAsync(string resource, string node, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentException.ThrowIfNullOrEmpty(node);
        var key = _keys.Resource(resource);
        var txn = new TxnRequest();
        txn.Compare.Add(EtcdKeys.Absent(key));
        txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(node) } });
        txn.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = key } });
        var answer = await TxnAsync(txn, $"the claim of {resource}", cancellationToken).ConfigureAwait(false);
        var home = answer.Succeeded ? node : answer.Responses[0].ResponseRange.Kvs is { Count: > 0 } kvs ? kvs[0].Value.ToStringUtf8() : node;
        await CatchUpAsync(answer.Header.Revision, cancellationToken).ConfigureAwait(false);
        if (answer.Succeeded)
        {
            Log.ResourceClaimed(_logger, resource, node);
        }

        return home;
    }

    /// <inheritdoc/>
    public async Task ReleaseAsync(string resource, string node, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        ArgumentException.ThrowIfNullOrEmpty(node);
        var key = _keys.Resource(resource);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = key,
            Target = Compare.Types.CompareTarget.Value,
            Result = Compare.Types.CompareResult.Equal,
            Value = ByteString.CopyFromUtf8(node),
        });
        txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key } });
        var answer = await TxnAsync(txn, $"the release of {resource}", cancellationToken).ConfigureAwait(false);
        await CatchUpAsync(answer.Header.Revision, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops watching.</summary>
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

    /// <summary>Runs one write, retried with backoff for <see cref="EtcdDirectoryOptions.WriteTimeout"/> while etcd does not answer.</summary>
    private Task<TxnResponse> TxnAsync(TxnRequest txn, string what, CancellationToken cancellationToken) =>
        RetryAsync(
            async () =>
            {
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
            _options.WriteTimeout,
            (attempt, error) => Log.DirectoryWriteRetry(_logger, what, attempt, error),
            cancellationToken);

    private Task<T> RetryAsync<T>(Func<Task<T>> call, Backoff backoff, TimeSpan budget, Action<int, string> retrying, CancellationToken cancellationToken) =>
        EtcdRange.RetryAsync(call, backoff, budget, retrying, _time, cancellationToken);

    /// <summary>Waits until the view reflects <paramref name="revision"/>: the watch's delivery, or a fresh read when it lags.</summary>
    private async Task CatchUpAsync(long revision, CancellationToken cancellationToken)
    {
        var reached = await EtcdRange.WaitForViewAsync(
            () =>
            {
                lock (_gate)
                {
                    return _revision >= revision ? null : _advanced.Task;
                }
            },
            _options.RequestTimeout,
            _time,
            cancellationToken).ConfigureAwait(false);
        if (!reached)
        {
            await ReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the whole range (the membership key and every placement key) and adopts it when newer than the view.</summary>
    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        RangeResponse answer;
        try
        {
            answer = await _etcd.KVClient.RangeAsync(
                new RangeRequest { Key = _keys.Members, RangeEnd = _keys.ResourcesEnd },
                deadline: DateTime.UtcNow + _options.RequestTimeout,
                cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        }
        catch (Exception e) when (EtcdErrors.IsCall(e) && !cancellationToken.IsCancellationRequested)
        {
            throw EtcdErrors.ToCohort(e, "the read of membership and placement");
        }

        lock (_gate)
        {
            if (answer.Header.Revision <= _revision && _view is not null)
            {
                return;
            }

            _homes.Clear();
            _membersVersion = 0;
            _membersModRevision = 0;
            _members = [];
            foreach (var kv in answer.Kvs)
            {
                ApplyLocked(kv, deleted: false);
            }

            _revision = answer.Header.Revision;
        }

        Publish();
    }

    private Task RunAsync(CancellationToken stop) => EtcdRange.FollowAsync(
        _etcd,
        _keys.Members,
        _keys.ResourcesEnd,
        _options.RecheckInterval,
        () => Revision,
        ReadAsync,
        ApplyEvents,
        (delay, error) => Log.DirectoryWatchFailed(_logger, delay, error),
        _time,
        stop);

    // One batch of watched events, in revision order; those the view has already (a fresh read got there first) are skipped.
    private void ApplyEvents(RepeatedField<Event> events)
    {
        lock (_gate)
        {
            foreach (var e in events)
            {
                if (e.Kv.ModRevision > _revision)
                {
                    ApplyLocked(e.Kv, e.Type == Event.Types.EventType.Delete);
                }
            }

            _revision = Math.Max(_revision, events[^1].Kv.ModRevision);
        }

        Publish();
    }

    private void ApplyLocked(KeyValue kv, bool deleted)
    {
        if (kv.Key == _keys.Members)
        {
            if (deleted)
            {
                _membersVersion = 0;
                _membersModRevision = 0;
                _members = [];
                return;
            }

            (_membersVersion, _members) = DecodeMembers(kv.Value);
            _membersModRevision = kv.ModRevision;
            return;
        }

        var key = kv.Key.ToStringUtf8();
        if (!key.StartsWith(_keys.ResourcesPrefix, StringComparison.Ordinal))
        {
            return;
        }

        var resource = key[_keys.ResourcesPrefix.Length..];
        if (deleted)
        {
            _homes.Remove(resource);
        }
        else
        {
            _homes[resource] = kv.Value.ToStringUtf8();
        }
    }

    private void Publish()
    {
        TaskCompletionSource advanced;
        lock (_gate)
        {
            Volatile.Write(ref _view, new ClusterDirectoryView(_membersVersion, _members, new Dictionary<string, string>(_homes, StringComparer.Ordinal)));
            advanced = _advanced;
            _advanced = NewSignal();
        }

        advanced.TrySetResult();
        Changed?.Invoke();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static CohortException MembershipMoved(long expected, long now) =>
        new(ErrorCodes.Unavailable, $"The membership moved from version {expected} to {now} meanwhile; retry.", isTransient: true);

    /// <summary>The membership value: <c>{"version":n,"members":["host:port",…]}</c>.</summary>
    internal static ByteString EncodeMembers(long version, IReadOnlyList<string> members)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", version);
            writer.WriteStartArray("members");
            foreach (var member in members.Order(StringComparer.Ordinal))
            {
                writer.WriteStringValue(member);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return ByteString.CopyFrom(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Decodes <see cref="EncodeMembers"/>'s value.</summary>
    /// <exception cref="CohortException"><c>corruption</c> for a value of another shape.</exception>
    internal static (long Version, IReadOnlyList<string> Members) DecodeMembers(ByteString value)
    {
        try
        {
            using var document = JsonDocument.Parse(value.Memory);
            var root = document.RootElement;
            var version = root.GetProperty("version").GetInt64();
            var members = root.GetProperty("members").EnumerateArray().Select(e => e.GetString() ?? throw new FormatException("a member is null")).ToList();
            return version >= 1 ? (version, members) : throw new FormatException($"version {version} is below 1");
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CohortException(ErrorCodes.Corruption, $"The membership value in etcd is not {{\"version\":n,\"members\":[…]}}: {e.Message}", isTransient: false, e);
        }
    }
}
