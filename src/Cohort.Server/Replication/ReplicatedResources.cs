using System.Collections.Concurrent;
using Cohort.Cluster;
using Cohort.Core;
using Cohort.Core.Execution;
using Cohort.Engines;
using Cohort.Server.Services;
using Cohort.Storage.Replication;
using Cohort.Storage.Wal;
using Cohort.Transport;
using Microsoft.Extensions.Logging;

namespace Cohort.Server.Replication;

/// <summary>
/// This node's part in the replicated resources (etcd backend; PacificA): for each resource whose configuration names
/// it, it is the primary — the engine open over <c>{data}/replicated/{kind}_{name}</c>, hosted like any resource, its
/// log shipped by a <see cref="Replicator"/> to the replicas — or a replica, a <see cref="ReplicaStore"/> in that same
/// directory receiving the primary's stream. Roles follow the configuration store: every change is reconciled here
/// (<see cref="ReconcileAsync"/>). The leader's part — creating configurations, promoting a replica when a primary is
/// down, taking failed replicas out and caught-up ones in — is in <c>ReplicatedResources.Leader.cs</c>.
/// </summary>
internal sealed partial class ReplicatedResources : IAsyncDisposable
{
    private const string ReplicatedDirectory = "replicated";

    private readonly NodeOptions _options;
    private readonly ClusterAgent _cluster;
    private readonly ResourceRegistry _registry;
    private readonly NodeClient _client;
    private readonly IResourceConfigurations _configs;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ReplicatorOptions _replicatorOptions;
    private readonly ConcurrentDictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private ITimer? _tick;
    private long _startedAt;
    private volatile bool _disposed;
    private int _ticking;

    public ReplicatedResources(NodeOptions options, ClusterAgent cluster, ResourceRegistry registry, NodeClient client, IResourceConfigurations configs, ILoggerFactory loggers, TimeProvider time)
    {
        _options = options;
        _cluster = cluster;
        _registry = registry;
        _client = client;
        _configs = configs;
        _loggers = loggers;
        _logger = loggers.CreateLogger("Cohort.Replication");
        _time = time;

        // A replica that does not answer for a few heartbeats is out: the same patience failure detection has.
        var failure = options.Heartbeat * Math.Max(options.Misses, 2);
        _replicatorOptions = new ReplicatorOptions
        {
            SendTimeout = failure,
            FailureTimeout = failure,
            RetryDelay = options.Heartbeat / 4,
            IdleProbeInterval = options.Heartbeat,
            ReadLease = failure,
            TimeProvider = time,
        };
    }

    private string Self => _options.Address;

    /// <summary>The configurations this node sees.</summary>
    public IReadOnlyDictionary<string, ResourceConfiguration> Configurations => _configs.Current;

    /// <summary>
    /// Per resource this node serves as primary: each replica's acknowledged position and lag (entries), and whether it
    /// is in sync.
    /// </summary>
    public IReadOnlyList<(string Resource, string Replica, long AckedThrough, long Lag, bool InSync)> Lag() =>
        [.. _members.Values.Where(m => m.Replicator is not null).SelectMany(m => m.Replicator!.Status.Select(s => (m.Resource, s.Replica, s.AckedThrough, s.Lag, s.InSync)))];

    /// <summary>
    /// Why <paramref name="resource"/> is not hosted here, when it is a replicated one: its primary is elsewhere or not
    /// open yet (a failover under way), which a sender should retry.
    /// </summary>
    public CohortException? Unhosted(string resource) => _configs.Current.GetValueOrDefault(resource) is { } config
        ? new CohortException(
            ErrorCodes.Unavailable,
            config.Primary == Self
                ? $"{resource} (configuration version {config.Version}) is not open on its primary {Self} yet; retry."
                : $"{resource} is served by its primary {config.Primary} (configuration version {config.Version}), not {Self}; retry there.",
            isTransient: true)
        : null;

    /// <summary>
    /// Admits a participant request for a replicated <paramref name="resource"/> only if it carries the term of the
    /// configuration this node is the primary of, else throws <c>configuration_moved</c> (transient, nothing ran): an
    /// older term comes from a sender that has not seen the newest configuration, a newer one means this node has not;
    /// either way the sender retries once the views agree. A resource that is not replicated is always admitted.
    /// </summary>
    /// <remarks>
    /// A request that reads (<paramref name="reads"/>: apply, prepare, snapshot reads) also waits for this primary's read
    /// lease (<see cref="Replicator.HoldsLease"/>): a primary paused or cut off long enough to be replaced may not yet
    /// know it, but it has lost its lease by then, so it answers <c>unavailable</c> rather than from a stale state.
    /// </remarks>
    public async ValueTask AdmitAsync(string resource, long term, bool reads, CancellationToken cancellationToken)
    {
        if (CheckTerm(resource, term) is { } refused)
        {
            throw refused;
        }

        if (reads && _members.TryGetValue(resource, out var member) && member.Replicator is { } replicator)
        {
            await replicator.WaitForLeaseAsync(_replicatorOptions.ReadLease, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether this node may still answer reads of <paramref name="resource"/>: true unless it is a replicated resource's primary without its read lease.</summary>
    public bool HoldsLease(string resource) => !_members.TryGetValue(resource, out var member) || member.Replicator is not { } replicator || replicator.HoldsLease;

    private CohortException? CheckTerm(string resource, long term)
    {
        if (!_configs.Current.TryGetValue(resource, out var config) || (term == config.Term && config.Primary == Self))
        {
            return null;
        }

        ReplicationLog.TermRefused(_logger, resource, term, config.Term, config.Primary);
        var why = term < config.Term
            ? $"the request carries configuration term {term}, older than {resource}'s term {config.Term} (primary {config.Primary})"
            : term > config.Term
                ? $"the request carries configuration term {term}, and {Self} knows only {resource}'s term {config.Term}"
                : $"{Self} is not the primary of {resource} at term {term} (its primary is {config.Primary})";
        return new CohortException(ErrorCodes.ConfigurationMoved, $"Refused on {Self}: {why}; nothing ran, retry.", isTransient: true);
    }

    /// <summary>Takes every configuration naming this node into its role, then follows changes.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _configs.Changed += OnChanged;
        foreach (var resource in _configs.Current.Keys)
        {
            await ReconcileAsync(resource, cancellationToken).ConfigureAwait(false);
        }

        var interval = _options.Heartbeat;
        _startedAt = _time.GetTimestamp();
        _tick = _time.CreateTimer(_ => OnTick(), null, interval, interval);
    }

    /// <summary>The directory of <paramref name="resource"/>'s copy on this node.</summary>
    public string DirectoryOf(string resource) => Path.Combine(_options.DataDirectory, ReplicatedDirectory, resource.Replace(':', '_'));

    /// <summary>
    /// Brings this node's role for <paramref name="resource"/> in line with its configuration (the watched view, or
    /// <paramref name="config"/> when newer): primary, replica, or neither.
    /// </summary>
    public async Task ReconcileAsync(string resource, CancellationToken cancellationToken, ResourceConfiguration? config = null)
    {
        var member = _members.GetOrAdd(resource, static (r, time) => new Member(r, time.GetTimestamp()), _time);
        await member.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            var current = _configs.Current.GetValueOrDefault(resource);
            if (config is null || (current is not null && current.Version > config.Version))
            {
                config = current;
            }

            if (config is null || config.Version < member.Version)
            {
                return;
            }

            if (config.Primary == Self)
            {
                await BecomePrimaryAsync(member, config).ConfigureAwait(false);
            }
            else
            {
                if (member.Engine is not null)
                {
                    await StepDownAsync(member, $"configuration version {config.Version} names {config.Primary}").ConfigureAwait(false);
                }

                if (config.Replicas.Contains(Self, StringComparer.Ordinal) || member.Store is not null)
                {
                    var fresh = member.Store is null;
                    member.Store ??= await OpenStoreAsync(resource, cancellationToken).ConfigureAwait(false);
                    await member.Store.ObserveVersionAsync(config.Term, cancellationToken).ConfigureAwait(false);
                    if (fresh && config.Replicas.Contains(Self, StringComparer.Ordinal))
                    {
                        ReplicationLog.BecameReplica(_logger, resource, config.Version, config.Primary);
                    }
                }
            }

            member.Version = config.Version;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping (a promotion's wait for the old primary's lease was cut short).
        }
        catch (Exception e) when (e is CohortException or IOException)
        {
            ReplicationLog.ReconcileFailed(_logger, resource, config?.Version ?? 0, e);
        }
        finally
        {
            member.Gate.Release();
        }
    }

    /// <summary>
    /// Applies a primary's shipment to this node's copy of <paramref name="resource"/> (<c>POST /internal/replicate</c>).
    /// </summary>
    public async Task<long> ApplyAsync(string resource, string stream, long version, IReadOnlyList<ReplicationEntry> entries, CancellationToken cancellationToken)
    {
        EngineFactory.KindOf(resource);
        var member = _members.GetOrAdd(resource, static (r, time) => new Member(r, time.GetTimestamp()), _time);
        await member.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                throw new CohortException(ErrorCodes.Unavailable, $"{Self} is stopping.", isTransient: true);
            }

            if (member.Engine is not null)
            {
                if (version <= member.Term)
                {
                    throw new CohortException(ErrorCodes.ReplicaStale, $"{Self} is the primary of {resource} since configuration version {member.Term}; {stream}'s term {version} is superseded.", isTransient: false);
                }

                // A newer primary: this node has not heard of it yet. It steps down once it has; until then, retry.
                _ = RefreshAsync(resource);
                throw new CohortException(ErrorCodes.Unavailable, $"{Self} still serves {resource} as primary of term {member.Term}; it steps down once it sees term {version}.", isTransient: true);
            }

            member.Store ??= await OpenStoreAsync(resource, cancellationToken).ConfigureAwait(false);
            try
            {
                var acked = await member.Store.ApplyAsync(stream, version, entries, cancellationToken).ConfigureAwait(false);

                // The sender's read lease runs on this acknowledgement: promoted, this node waits it out first.
                member.LastShipment = _time.GetTimestamp();
                return acked;
            }
            catch (ReplicaRefusedException refused)
            {
                throw new CohortException(refused.Reason == ReplicaRefusal.Stale ? ErrorCodes.ReplicaStale : ErrorCodes.ReplicaGap, refused.Message, isTransient: false);
            }
        }
        finally
        {
            member.Gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _configs.Changed -= OnChanged;
        if (_tick is not null)
        {
            await _tick.DisposeAsync().ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var member in _members.Values)
        {
            await member.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                if (member.Engine is not null)
                {
                    await StepDownAsync(member, "the node is stopping").ConfigureAwait(false);
                }

                if (member.Store is not null)
                {
                    await member.Store.DisposeAsync().ConfigureAwait(false);
                    member.Store = null;
                }
            }
            finally
            {
                member.Gate.Release();
            }
        }

        _stop.Dispose();
    }

    // Under member.Gate.
    private async Task BecomePrimaryAsync(Member member, ResourceConfiguration config)
    {
        var resource = member.Resource;
        var directory = DirectoryOf(resource);
        if (member.Engine is not null)
        {
            if (config.Version > member.Version)
            {
                member.Replicator!.Reconfigure(config.Term, config.Replicas);
            }

            AttachMissing(member, config);
            return;
        }

        string how;
        if (member.Store is { } store)
        {
            how = "promoted from replica";
        }
        else
        {
            how = Directory.Exists(Path.Combine(directory, "wal")) ? "restarted" : "created";
        }

        // A copy that already served as primary at this very term (marked below, after this wait, before the crash) was
        // the only primary of that term: nobody else can hold a lease on it.
        if (how != "created" && !(how == "restarted" && ReplicaStore.IsMember(directory) && ReplicaStore.RecordedVersion(directory) == config.Term))
        {
            // Another primary may still hold a read lease on this copy's last acknowledgement (it may be paused or cut
            // off, not dead; after a restart, that acknowledgement may be from just before it): serving before the
            // lease ran out could let it read what this primary has since overwritten. Shipments wait on the gate
            // meanwhile, and are refused as superseded after it.
            var wait = _replicatorOptions.PromotionWait - _time.GetElapsedTime(member.LastShipment);
            if (wait > TimeSpan.Zero)
            {
                ReplicationLog.WaitingOutLease(_logger, resource, wait.TotalMilliseconds);
                await Task.Delay(wait, _time, _stop.Token).ConfigureAwait(false);
            }
        }

        if (member.Store is { } replica)
        {
            await replica.DisposeAsync().ConfigureAwait(false);
            member.Store = null;
        }

        if (!ReplicaStore.IsMember(directory))
        {
            // Its copy is gone (a lost disk) or never was one: opening it empty would lose every acknowledged commit.
            ReplicationLog.PrimaryWithoutData(_logger, resource, config.Version, directory);
            _ = RequestChangeAsync(config, ChangeKind.PrimaryLost, Self);
            return;
        }

        ReplicaStore.MarkMember(directory, config.Term);
        var engine = EngineFactory.Open(resource, new EngineOptions
        {
            DataDirectory = directory,
            Durability = _options.Fsync ? DurabilityMode.Fsync : DurabilityMode.None,
            OnStorageFailure = FailStop.On(_loggers.CreateLogger("Cohort.Engines"), $"log of {resource}"),
        }, _loggers.CreateLogger("Cohort.Engines"));
        var replicator = new Replicator(resource, Self, config.Term, config.Replicas, engine.SnapshotSource, _replicatorOptions);
        replicator.ReplicaFailed += (replica, error) => OnReplicaFailed(resource, replicator, replica, error);
        replicator.CaughtUp += replica => OnCaughtUp(resource, replicator, replica);
        replicator.Fenced += error => OnFenced(resource, replicator, error);
        engine.Replicate(replicator);
        member.Engine = engine;
        member.Replicator = replicator;
        member.Version = config.Version;
        member.Term = config.Term;

        // Every replica starts from this primary's state (a reset): until each has it, nothing is acknowledged.
        AttachMissing(member, config);
        _registry.AddReplicated(engine);
        _cluster.ResourcesChanged();
        ReplicationLog.BecamePrimary(_logger, resource, config.Version, string.Join(", ", config.Replicas), how);
    }

    // Under member.Gate: a link to every replica of the configuration that has none.
    private void AttachMissing(Member member, ResourceConfiguration config)
    {
        var linked = member.Replicator!.Status.Select(s => s.Replica).ToHashSet(StringComparer.Ordinal);
        foreach (var replica in config.Replicas.Where(r => !linked.Contains(r)))
        {
            member.Replicator.Attach(new HttpReplicaChannel(replica, _client));
        }
    }

    // Under member.Gate.
    private async Task StepDownAsync(Member member, string why)
    {
        var engine = member.Engine!;
        _registry.RemoveReplicated(engine);
        _cluster.ResourcesChanged();
        await member.Replicator!.DisposeAsync().ConfigureAwait(false);
        await engine.DisposeAsync().ConfigureAwait(false);
        member.Engine = null;
        member.Replicator = null;
        ReplicationLog.SteppedDown(_logger, member.Resource, why);
    }

    // A replica's store; it refuses at once the terms before the configuration's (a directory that never held a copy, a
    // lost disk, has no term of its own yet).
    private async Task<ReplicaStore> OpenStoreAsync(string resource, CancellationToken cancellationToken)
    {
        var store = ReplicaStore.Open(DirectoryOf(resource), _options.Fsync ? DurabilityMode.Fsync : DurabilityMode.None);
        if (_configs.Current.GetValueOrDefault(resource) is { } config)
        {
            await store.ObserveVersionAsync(config.Term, cancellationToken).ConfigureAwait(false);
        }

        return store;
    }

    private void OnChanged(ResourceConfiguration config)
    {
        _cluster.ResourcesChanged();
        _ = ReconcileAsync(config.Resource, _stop.Token, config);
    }

    private void OnReplicaFailed(string resource, Replicator replicator, string replica, Exception error)
    {
        ReplicationLog.ReplicaFailed(_logger, resource, replica, replicator.Version, error.Message);
        if (_configs.Current.GetValueOrDefault(resource) is { } config && config.Replicas.Contains(replica, StringComparer.Ordinal))
        {
            _ = RequestChangeAsync(config, ChangeKind.RemoveReplica, replica);
        }
        else if (_members.TryGetValue(resource, out var member))
        {
            // A catch-up that failed: each one costs a snapshot of the whole state, so the next waits longer.
            member.DeferCatchUp(_time);
        }
    }

    private void OnCaughtUp(string resource, Replicator replicator, string replica)
    {
        if (_members.TryGetValue(resource, out var member))
        {
            member.CatchUpSucceeded();
        }

        ReplicationLog.ReplicaCaughtUp(_logger, resource, replica, replicator.Version);
        if (_configs.Current.GetValueOrDefault(resource) is { } config && !config.Replicas.Contains(replica, StringComparer.Ordinal))
        {
            _ = AddAsync(config, replicator, replica);
        }
        else
        {
            replicator.Abandon(replica);
        }
    }

    // Asks for the caught-up replica to be added; when the leader does not (and the configuration stays as it was), the
    // primary stops waiting for it.
    private async Task AddAsync(ResourceConfiguration config, Replicator replicator, string replica)
    {
        if (!await RequestChangeAsync(config, ChangeKind.AddReplica, replica).ConfigureAwait(false))
        {
            replicator.Abandon(replica);
        }
    }

    private void OnFenced(string resource, Replicator replicator, ReplicationFencedException error)
    {
        ReplicationLog.Fenced(_logger, resource, replicator.Version, error.Message);
        _ = RefreshAsync(resource);
    }

    // A fenced primary may be behind the watch: read the configuration afresh and take the role it gives.
    private async Task RefreshAsync(string resource)
    {
        try
        {
            var fresh = await _configs.ReadAsync(resource, _stop.Token).ConfigureAwait(false);
            await ReconcileAsync(resource, _stop.Token, fresh).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CohortException or OperationCanceledException)
        {
            // The tick tries again.
        }
    }

    private void OnTick()
    {
        if (Interlocked.Exchange(ref _ticking, 1) != 0)
        {
            return;
        }

        _ = Executor.Current.Run(async () =>
        {
            try
            {
                await LeadAsync(_stop.Token).ConfigureAwait(false);
                KeepCopies();

                // A role that did not take (an engine that failed to open, say) is tried again.
                foreach (var config in _configs.Current.Values)
                {
                    var member = _members.GetValueOrDefault(config.Resource);
                    var primaryMissing = config.Primary == Self && member?.Engine is null;
                    var replicaMissing = config.Replicas.Contains(Self, StringComparer.Ordinal) && member?.Store is null && member?.Engine is null;
                    if (primaryMissing || replicaMissing)
                    {
                        await ReconcileAsync(config.Resource, _stop.Token).ConfigureAwait(false);
                    }
                }
                foreach (var member in _members.Values.Where(m => m.Replicator is { IsFenced: true }))
                {
                    await RefreshAsync(member.Resource).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is CohortException or OperationCanceledException or IOException)
            {
                // Next tick.
            }
            finally
            {
                Interlocked.Exchange(ref _ticking, 0);
            }
        });
    }

    // As primary: while the configuration has fewer copies than its factor, catch up one alive member to join it.
    private void KeepCopies()
    {
        foreach (var member in _members.Values)
        {
            // Under the member's gate, as every role change: never racing a reconcile's attach.
            if (!member.Gate.TryEnter())
            {
                continue;
            }

            try
            {
                KeepCopies(member);
            }
            finally
            {
                member.Gate.Release();
            }
        }
    }

    // Under member.Gate.
    private void KeepCopies(Member member)
    {
        if (member.Replicator is not { IsFenced: false } replicator
            || _configs.Current.GetValueOrDefault(member.Resource) is not { } config
            || config.Primary != Self
            || config.Members.Count >= config.Factor)
        {
            return;
        }

        var linked = replicator.Status.Select(s => s.Replica).ToHashSet(StringComparer.Ordinal);
        if (linked.Any(r => !config.Replicas.Contains(r, StringComparer.Ordinal)))
        {
            return; // one is catching up already
        }

        var candidate = _cluster.AliveMembers.Where(m => m != Self && !config.Replicas.Contains(m, StringComparer.Ordinal)).Order(StringComparer.Ordinal).FirstOrDefault();
        if (candidate is not null && member.MayCatchUp(_time))
        {
            ReplicationLog.CatchingUp(_logger, member.Resource, candidate, config.Factor);
            replicator.Attach(new HttpReplicaChannel(candidate, _client));
        }
    }

    private sealed class Member(string resource, long heardOf)
    {
        private readonly Lock _catchUpSync = new();

        // Doubling pauses between failed catch-ups: 1 s up to 30 s.
        private Backoff _catchUpBackoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), jitter: 0.2);
        private long _nextCatchUp;

        public string Resource { get; } = resource;

        // Serializes role changes and shipments for this resource.
        public AsyncGate Gate { get; } = new();

        public long Version { get; set; }

        // The term it is primary of (while Engine is set).
        public long Term { get; set; }

        public IEmbeddedEngine? Engine { get; set; }

        /// <summary>
        /// When this node's copy last acknowledged a shipment (monotonic timestamp), or when this process first heard
        /// of the resource (it may have acknowledged one just before a restart).
        /// </summary>
        public long LastShipment { get; set; } = heardOf;

        public Replicator? Replicator { get; set; }

        public ReplicaStore? Store { get; set; }

        // Whether the primary may try to catch a node up now (not too soon after a failed try).
        public bool MayCatchUp(TimeProvider time)
        {
            lock (_catchUpSync)
            {
                return time.GetTimestamp() >= _nextCatchUp;
            }
        }

        public void DeferCatchUp(TimeProvider time)
        {
            lock (_catchUpSync)
            {
                _nextCatchUp = time.GetTimestamp() + (long)(_catchUpBackoff.Next().TotalSeconds * time.TimestampFrequency);
            }
        }

        public void CatchUpSucceeded()
        {
            lock (_catchUpSync)
            {
                _catchUpBackoff.Reset();
                _nextCatchUp = 0;
            }
        }

    }
}
