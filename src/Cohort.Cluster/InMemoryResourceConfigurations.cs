using System.Collections.Immutable;
using System.Runtime.ExceptionServices;
using Cohort.Core;

namespace Cohort.Cluster;

/// <summary>
/// <see cref="IResourceConfigurations"/> in this process's memory, for unit tests and single-process use: the same
/// rules as the etcd backend, with the leadership fence modelled by a function that says whether the writer leads at
/// an epoch. Thread-safe; every write is atomic with its fence check.
/// </summary>
/// <remarks>
/// <see cref="Changed"/> is raised after the write, outside the lock, on the thread of the write that made it (or of an
/// earlier write still raising its own): in write order, never twice at once. A handler's exception does not stop the
/// others; the first one reaches the caller whose write was raising the events, after its write took effect.
/// </remarks>
public sealed class InMemoryResourceConfigurations : IResourceConfigurations
{
    private readonly Func<long, bool> _isLeaderAt;
    private readonly Lock _gate = new();

    // Guarded by _gate.
    private readonly Queue<ResourceConfiguration> _pending = new();
    private bool _raising;
    private ImmutableDictionary<string, ResourceConfiguration> _current = ImmutableDictionary.Create<string, ResourceConfiguration>(StringComparer.Ordinal);

    /// <summary>Creates an empty store.</summary>
    /// <param name="isLeaderAt">
    /// The fence: whether the writer leads at the given epoch (the etcd backend's "the leader key is mine at this
    /// epoch"). Called under the store's lock, atomically with the write it guards, so it must not call back into the store.
    /// </param>
    public InMemoryResourceConfigurations(Func<long, bool> isLeaderAt)
    {
        ArgumentNullException.ThrowIfNull(isLeaderAt);
        _isLeaderAt = isLeaderAt;
    }

    /// <inheritdoc/>
    public event Action<ResourceConfiguration>? Changed;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, ResourceConfiguration> Current => Volatile.Read(ref _current);

    /// <summary>Nothing to read: the store is its own view.</summary>
    /// <param name="cancellationToken">Not used.</param>
    /// <returns>A completed task.</returns>
    public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task<ResourceConfiguration> CreateAsync(long epoch, ResourceConfiguration initial, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(initial);
        initial.Validate();
        if (initial.Version != 1)
        {
            throw new ArgumentException($"{initial.Resource}: a configuration is created at version 1, not {initial.Version}.", nameof(initial));
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            Fence(epoch, initial.Resource);
            if (_current.TryGetValue(initial.Resource, out var existing))
            {
                throw new CohortException(
                    ErrorCodes.ConfigurationMoved,
                    $"{initial.Resource} has a configuration already ({existing}); it was not created again.",
                    isTransient: false);
            }

            SetLocked(initial);
        }

        RaisePending();
        return Task.FromResult(initial);
    }

    /// <inheritdoc/>
    public Task<ResourceConfiguration> ChangeAsync(long epoch, ResourceConfiguration next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        next.Validate();
        if (next.Version < 2)
        {
            throw new ArgumentException($"{next.Resource}: a change makes version 2 or later, not {next.Version} (version 1 is created).", nameof(next));
        }

        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            Fence(epoch, next.Resource);
            if (!_current.TryGetValue(next.Resource, out var stored))
            {
                throw new CohortException(ErrorCodes.UnknownResource, $"{next.Resource} has no configuration to change; create it first.", isTransient: false);
            }

            if (stored.Version != next.Version - 1)
            {
                throw new CohortException(
                    ErrorCodes.ConfigurationMoved,
                    $"{next.Resource}: the change to version {next.Version} was computed from version {next.Version - 1}, but the configuration is at version {stored.Version}; compute it again.",
                    isTransient: true);
            }

            SetLocked(next);
        }

        RaisePending();
        return Task.FromResult(next);
    }

    /// <inheritdoc/>
    public Task<ResourceConfiguration?> ReadAsync(string resource, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Current.GetValueOrDefault(resource));
    }

    private void Fence(long epoch, string resource)
    {
        if (!_isLeaderAt(epoch))
        {
            throw new CohortException(
                ErrorCodes.NoLeader,
                $"The configuration of {resource} was not written: the writer does not lead at epoch {epoch}; retry on the leader.",
                isTransient: true);
        }
    }

    private void SetLocked(ResourceConfiguration configuration)
    {
        Volatile.Write(ref _current, _current.SetItem(configuration.Resource, configuration));
        _pending.Enqueue(configuration);
    }

    /// <summary>Raises <see cref="Changed"/> for every pending configuration unless another thread is raising them already.</summary>
    private void RaisePending()
    {
        lock (_gate)
        {
            if (_raising)
            {
                return;
            }

            _raising = true;
        }

        ExceptionDispatchInfo? failed = null;
        while (true)
        {
            ResourceConfiguration? next;
            lock (_gate)
            {
                if (!_pending.TryDequeue(out next))
                {
                    _raising = false;
                    break;
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
                    failed ??= ExceptionDispatchInfo.Capture(e);
                }
            }
        }

        failed?.Throw();
    }
}
