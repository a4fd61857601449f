using System.Collections.Immutable;
using Cohort.Cluster;
using Cohort.Core;
using Etcdserverpb;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using Mvccpb;

namespace Cohort.Etcd;

/// <summary>The view: the first read, the watch that keeps it, fresh reads when the watch breaks or lags, and <see cref="Changed"/>.</summary>
public sealed partial class EtcdResourceConfigurations
{
    // Guarded by _gate: the configurations as of etcd revision _revision, each with the mod revision of its key.
    private readonly Dictionary<string, Stamped> _entries = new(StringComparer.Ordinal);
    private readonly Queue<ResourceConfiguration> _pending = new();
    private ImmutableDictionary<string, ResourceConfiguration> _current = ImmutableDictionary.Create<string, ResourceConfiguration>(StringComparer.Ordinal);
    private long _revision;
    private bool _read;
    private bool _raising;
    private TaskCompletionSource _advanced = NewSignal();

    private Stamped? Entry(string resource)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(resource, out var entry) ? entry : null;
        }
    }

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
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><see cref="ReadRangeAsync"/>, retried for <see cref="EtcdResourceConfigurationsOptions.RetryTimeout"/> while etcd does not answer.</summary>
    private Task RefreshAsync(CancellationToken cancellationToken) =>
        RetryAsync(
            async () =>
            {
                await ReadRangeAsync(cancellationToken).ConfigureAwait(false);
                return true;
            },
            new Backoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500), jitter: 0.5),
            _options.RetryTimeout,
            (attempt, error) => Log.ConfigurationsReadRetry(_logger, attempt, error),
            cancellationToken);

    /// <summary>Reads the whole configuration range (linearizable) and adopts it when newer than the view.</summary>
    private async Task ReadRangeAsync(CancellationToken cancellationToken)
    {
        RangeResponse answer;
        try
        {
            answer = await _etcd.KVClient.RangeAsync(
                new RangeRequest { Key = _keys.Configs, RangeEnd = _keys.ConfigsEnd },
                deadline: DateTime.UtcNow + _options.RequestTimeout,
                cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        }
        catch (Exception e) when (EtcdErrors.IsCall(e) && !cancellationToken.IsCancellationRequested)
        {
            throw EtcdErrors.ToCohort(e, "the read of the resource configurations");
        }

        lock (_gate)
        {
            if (answer.Header.Revision <= _revision && _read)
            {
                return;
            }

            var fresh = new Dictionary<string, Stamped>(StringComparer.Ordinal);
            var unreadable = new HashSet<string>(StringComparer.Ordinal);
            foreach (var kv in answer.Kvs)
            {
                if (TryDecodeLocked(kv) is { } read)
                {
                    fresh[read.Configuration.Resource] = read;
                }
                else
                {
                    unreadable.Add(kv.Key.ToStringUtf8()[_keys.ConfigsPrefix.Length..]);
                }
            }

            foreach (var gone in _entries.Keys.Where(r => !fresh.ContainsKey(r)).ToList())
            {
                if (!unreadable.Contains(gone))
                {
                    Log.ConfigurationDeleted(_logger, gone);
                }

                _entries.Remove(gone);
            }

            // What the watch missed, raised in the order etcd wrote it.
            foreach (var entry in fresh.Values.OrderBy(e => e.ModRevision))
            {
                if (!_entries.TryGetValue(entry.Configuration.Resource, out var old) || !old.Configuration.Equals(entry.Configuration))
                {
                    _pending.Enqueue(entry.Configuration);
                }

                _entries[entry.Configuration.Resource] = entry;
            }

            Volatile.Write(ref _current, _entries.ToImmutableDictionary(e => e.Key, e => e.Value.Configuration, StringComparer.Ordinal));
            _revision = answer.Header.Revision;
            _read = true;
        }

        Publish();
    }

    private Task RunAsync(CancellationToken stop) => EtcdRange.FollowAsync(
        _etcd,
        _keys.Configs,
        _keys.ConfigsEnd,
        _options.RecheckInterval,
        () => Revision,
        ReadRangeAsync,
        ApplyEvents,
        (delay, error) => Log.ConfigurationsWatchFailed(_logger, delay, error),
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

    /// <summary>Applies one watched event to the view; a value that does not decode takes the resource out of it (logged).</summary>
    private void ApplyLocked(KeyValue kv, bool deleted)
    {
        var key = kv.Key.ToStringUtf8();
        if (!key.StartsWith(_keys.ConfigsPrefix, StringComparison.Ordinal))
        {
            return;
        }

        var resource = key[_keys.ConfigsPrefix.Length..];
        var read = deleted ? null : TryDecodeLocked(kv);
        if (read is null)
        {
            if (_entries.Remove(resource))
            {
                if (deleted)
                {
                    Log.ConfigurationDeleted(_logger, resource);
                }

                Volatile.Write(ref _current, _current.Remove(resource));
            }

            return;
        }

        var configuration = read.Value.Configuration;
        if (!_entries.TryGetValue(resource, out var old) || !old.Configuration.Equals(configuration))
        {
            _pending.Enqueue(configuration);
        }

        _entries[resource] = new Stamped(configuration, kv.ModRevision);
        Volatile.Write(ref _current, _current.SetItem(resource, configuration));
    }

    /// <summary>The configuration a key holds, or null (logged) when its value does not decode or names another resource.</summary>
    private Stamped? TryDecodeLocked(KeyValue kv)
    {
        var key = kv.Key.ToStringUtf8();
        try
        {
            return new Stamped(Decode(key[_keys.ConfigsPrefix.Length..], kv.Value), kv.ModRevision);
        }
        catch (CohortException e) when (e.Code == ErrorCodes.Corruption)
        {
            Log.ConfigurationUnreadable(_logger, key, e.Message);
            return null;
        }
    }

    /// <summary>Decodes the value of <paramref name="resource"/>'s key.</summary>
    /// <exception cref="CohortException"><c>corruption</c> for a value that does not decode, or names another resource.</exception>
    private static ResourceConfiguration Decode(string resource, ByteString value)
    {
        var configuration = ResourceConfiguration.Decode(value.Memory);
        return string.Equals(configuration.Resource, resource, StringComparison.Ordinal)
            ? configuration
            : throw new CohortException(ErrorCodes.Corruption, $"The configuration under {resource}'s key is {configuration.Resource}'s.", isTransient: false);
    }

    /// <summary>Wakes the writers waiting for the view to advance, then raises <see cref="Changed"/> for what is pending.</summary>
    private void Publish()
    {
        TaskCompletionSource advanced;
        lock (_gate)
        {
            advanced = _advanced;
            _advanced = NewSignal();
            if (_raising)
            {
                // Whoever is raising the pending events raises these too, in order.
                advanced.TrySetResult();
                return;
            }

            _raising = true;
        }

        advanced.TrySetResult();
        while (true)
        {
            ResourceConfiguration? next;
            lock (_gate)
            {
                if (!_pending.TryDequeue(out next))
                {
                    _raising = false;
                    return;
                }
            }

            foreach (var handler in Changed?.GetInvocationList() ?? [])
            {
                try
                {
                    ((Action<ResourceConfiguration>)handler)(next);
                }
                catch (Exception e)
                {
                    // A handler's bug must not stop the view, nor the other handlers.
                    Log.ConfigurationHandlerFailed(_logger, next, e);
                }
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A configuration with the mod revision of the key it was read from.</summary>
    private readonly record struct Stamped(ResourceConfiguration Configuration, long ModRevision);
}
