using Cohort.Coordination;
using Cohort.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cohort.Cluster;

/// <summary>
/// One node's view of the cluster, embedded backend (DESIGN.md §8): membership (seeded by <c>--nodes</c>, changed
/// by join/add/remove through the master, versioned, persisted), all-to-all heartbeats with failure detection,
/// and the seed's election rule with an epoch that rises on every change of master.
/// </summary>
/// <remarks>
/// <para>
/// Every heartbeat, in both directions, carries the sender's epoch and master, its membership list with version,
/// and its resources and load. A node adopts a newer membership list and a superseding claim of leadership
/// (<see cref="Election.Supersedes"/>) from anyone. When the master it follows has been silent for
/// <see cref="ClusterOptions.FailureTimeout"/>, the lowest alive member takes over with an epoch above every one
/// seen; the others follow when they hear its claim.
/// </para>
/// <para>
/// A master counts as leader (<see cref="IsLeader"/>) only while its heartbeats to every member have completed
/// recently: one that was paused (or cut off) first has to hear from the others again, and so learns of a newer
/// master before it starts any new work. This fences a stale master on one machine; it is no substitute for
/// consensus under network partitions, which the etcd backend provides.
/// </para>
/// </remarks>
public sealed partial class ClusterAgent : IPlacement, ILeadership
{
    private readonly ClusterOptions _options;
    private readonly IClusterTransport _transport;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<IReadOnlyList<string>> _localResources;
    private readonly Func<int> _inFlight;
    private readonly object _sync = new();
    private readonly Dictionary<string, Peer> _peers = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _members = new(StringComparer.Ordinal);
    private long _membersVersion;
    private long _epoch;
    private string? _master;
    private bool _leading;
    private bool _isMember;
    private bool _everMember;
    private bool _firstRoundDone;
    private DateTimeOffset _leadingSince;
    private DateTimeOffset _started;
    private DateTimeOffset? _lastEvaluated;
    private long _claimedEpoch;
    private Dictionary<string, string>? _homes;
    private long _placementVersion;
    private DateTimeOffset _listenUntil;

    /// <summary>Creates the agent and loads the persisted state; call <see cref="RunAsync"/> to take part.</summary>
    /// <param name="options">Settings.</param>
    /// <param name="transport">How heartbeats reach other nodes.</param>
    /// <param name="localResources">The resources this node homes now.</param>
    /// <param name="inFlight">This node's unfinished transactions now.</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">Where membership and election changes are logged.</param>
    public ClusterAgent(ClusterOptions options, IClusterTransport transport, Func<IReadOnlyList<string>> localResources, Func<int> inFlight, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(localResources);
        ArgumentNullException.ThrowIfNull(inFlight);
        options.Validate();
        _options = options;
        _transport = transport;
        _localResources = localResources;
        _inFlight = inFlight;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;

        var saved = options.DataDirectory is { } directory ? ClusterStateFile.Load(directory) : null;
        if (saved is not null && saved.MembersVersion > 0)
        {
            // Membership was changed at run time: what the node knew wins over its --nodes.
            _members.UnionWith(saved.Members);
            _membersVersion = saved.MembersVersion;
        }
        else
        {
            _members.UnionWith(options.Seeds);
            if (options.Seeds.Count == 0 || options.Seeds.Contains(options.Self, StringComparer.Ordinal))
            {
                _members.Add(options.Self);
            }
        }

        // An external election's epochs are its own (etcd revisions): one saved under the embedded election (the same
        // data directory before --etcd) would make participants refuse the etcd leader's lower numbers.
        _epoch = options.Election is null ? saved?.Epoch ?? 0 : 0;
        _started = _time.GetUtcNow();
        _isMember = _everMember = _members.Contains(options.Self);
        foreach (var member in _members)
        {
            PeerOf(member);
        }

        if (options.Election is { } election)
        {
            election.Changed += FollowElection;
        }

        if (options.Directory is { } clusterDirectory)
        {
            clusterDirectory.Changed += FollowDirectory;
            FollowDirectory();
        }
    }

    /// <summary>Raised (outside the agent's lock) with the new epoch whenever this node learns of a newer one.</summary>
    public event Action<long>? EpochChanged;

    /// <summary>Raised (outside the agent's lock) with the epoch whenever this node starts leading under a new one.</summary>
    public event Action<long>? LeadershipGained;

    /// <summary>This node's address.</summary>
    public string Self => _options.Self;

    /// <summary>The settings.</summary>
    public ClusterOptions Options => _options;

    /// <summary>The newest epoch this node knows (whoever claimed it).</summary>
    public long Epoch
    {
        get
        {
            lock (_sync)
            {
                return _epoch;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The epoch of this node's own claim, kept after it steps down: a deposed master's messages must carry its old
    /// epoch (which participants refuse), never its successor's.
    /// </remarks>
    long ILeadership.Epoch
    {
        get
        {
            lock (_sync)
            {
                return _claimedEpoch;
            }
        }
    }

    /// <summary>The master this node follows, or null while there is none alive (an election is under way, or nobody is up).</summary>
    public string? Master
    {
        get
        {
            lock (_sync)
            {
                // An external election's word stands: the leader holds its lease whether or not it was heard from here.
                return _master is not null && (_options.Election is not null || IsAliveLocked(_master, _time.GetUtcNow())) ? _master : null;
            }
        }
    }

    /// <summary>Whether this node is the master (it may still be confirming its leadership, see <see cref="IsLeader"/>).</summary>
    public bool IsMaster
    {
        get
        {
            lock (_sync)
            {
                return _leading;
            }
        }
    }

    /// <inheritdoc/>
    public bool IsLeader
    {
        get
        {
            lock (_sync)
            {
                return IsLeaderLocked();
            }
        }
    }

    // With an external election its lease decides; the embedded one needs recent heartbeats to every member.
    private bool IsLeaderLocked() => _options.Election is { } election
        ? _leading && election.IsLeader && election.HeldEpoch == _claimedEpoch
        : _leading && IsConfirmedLocked(_time.GetUtcNow());

    /// <summary>Whether this node is in the membership (false before it has joined and after it was removed).</summary>
    public bool IsMember
    {
        get
        {
            lock (_sync)
            {
                return _isMember;
            }
        }
    }

    /// <summary>The membership version.</summary>
    public long MembersVersion
    {
        get
        {
            lock (_sync)
            {
                return _membersVersion;
            }
        }
    }

    /// <summary>Every member as this node sees it, by address.</summary>
    public IReadOnlyList<MemberStatus> Members
    {
        get
        {
            var local = _localResources();
            var inFlight = _inFlight();
            lock (_sync)
            {
                var now = _time.GetUtcNow();
                var master = _master is not null && IsAliveLocked(_master, now) ? _master : null;
                return [.. _members.Select(address => address == Self
                    ? new MemberStatus(address, master == address, true, now, _epoch, local, inFlight)
                    : Status(_peers[address], master, now))];
            }
        }
    }

    private MemberStatus Status(Peer peer, string? master, DateTimeOffset now) =>
        new(peer.Address, master == peer.Address, IsAliveLocked(peer.Address, now), peer.LastSeen, peer.Epoch, peer.Resources, peer.InFlight)
        {
            LastError = peer.LastError,
            LastErrorAt = peer.LastErrorAt,
            ConsecutiveFailures = peer.ConsecutiveFailures,
            Failures = peer.Failures,
        };

    /// <summary>The alive members' addresses, in order.</summary>
    public IReadOnlyList<string> AliveMembers
    {
        get
        {
            lock (_sync)
            {
                var now = _time.GetUtcNow();
                return [.. _members.Where(m => IsAliveLocked(m, now))];
            }
        }
    }

    /// <summary>Whether <paramref name="address"/> is a member heard from within the failure-detection window.</summary>
    public bool IsAlive(string address)
    {
        lock (_sync)
        {
            return _members.Contains(address) && IsAliveLocked(address, _time.GetUtcNow());
        }
    }

    /// <summary>This node's state, as heartbeats carry it.</summary>
    public HeartbeatMessage LocalState()
    {
        var resources = _localResources();
        var inFlight = _inFlight();
        lock (_sync)
        {
            return new HeartbeatMessage(Self, _epoch, _master, _membersVersion, [.. _members], resources, inFlight);
        }
    }

    /// <summary>Takes in a heartbeat from another node and returns this node's state as the reply.</summary>
    public HeartbeatMessage OnHeartbeat(HeartbeatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        Observe(message, sentAt: null);
        return LocalState();
    }

    /// <summary>
    /// Takes part in the cluster until <paramref name="cancellationToken"/> fires: joins when not a member,
    /// heartbeats every interval, and checks for failures and elections four times an interval.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var tick = _options.Heartbeat / 4;
        using var timer = new PeriodicTimer(tick > TimeSpan.Zero ? tick : _options.Heartbeat, _time);
        var beat = 0;
        lock (_sync)
        {
            // The startup grace counts from here: opening engines and recovery before this may take long.
            _started = _time.GetUtcNow();
        }

        do
        {
            try
            {
                if (beat++ % 4 == 0)
                {
                    await BeatAsync(cancellationToken).ConfigureAwait(false);
                }

                Evaluate();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Saving cluster.json failed, say: the loop must go on (a node that stops heartbeating looks dead).
                Log.LoopFailed(_logger, e);
            }
        }
        while (await WaitAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// One heartbeat: a node that has never been a member first tries to join; then heartbeats go out (without
    /// waiting for their replies). A node that was removed stays out until it restarts or is added again.
    /// </summary>
    public async Task BeatAsync(CancellationToken cancellationToken)
    {
        bool join;
        lock (_sync)
        {
            join = !_isMember && !_everMember;
        }

        if (join)
        {
            await TryJoinAsync(cancellationToken).ConfigureAwait(false);
        }

        _ = HeartbeatRoundAsync(cancellationToken);
    }

    /// <summary>
    /// Sends a heartbeat to every member that has none outstanding; the task ends when those sends complete.
    /// The first completed round lets this node take part in elections.
    /// </summary>
    public Task HeartbeatRoundAsync(CancellationToken cancellationToken = default)
    {
        var message = LocalState();
        var targets = new List<Peer>();
        lock (_sync)
        {
            foreach (var address in _members)
            {
                if (address != Self && _peers[address] is { Outstanding: false } peer)
                {
                    peer.Outstanding = true;
                    targets.Add(peer);
                }
            }
        }

        return FinishRoundAsync([.. targets.Select(peer => SendAsync(peer, message, cancellationToken))]);
    }

    /// <summary>Sends this node's state to every member now rather than at the next beat (after a local change).</summary>
    public void AnnounceSoon() => _ = HeartbeatRoundAsync(CancellationToken.None);

    /// <summary>Tells the agent this node's own resources changed (its placement view is rebuilt).</summary>
    public void ResourcesChanged() => InvalidatePlacement();

    /// <summary>Runs failure detection and the election rule once (with an external election: follows it).</summary>
    public void Evaluate()
    {
        if (_options.Election is not null)
        {
            FollowElection();
        }

        long? claimed = null;
        lock (_sync)
        {
            var now = _time.GetUtcNow();
            foreach (var (address, peer) in _peers)
            {
                var alive = _members.Contains(address) && IsAliveLocked(address, now);
                if (peer.ReportedAlive != alive && (alive || peer.LastSeen is not null))
                {
                    peer.ReportedAlive = alive;
                    InvalidatePlacement();
                    if (alive)
                    {
                        Log.MemberUp(_logger, address);
                    }
                    else
                    {
                        Log.MemberDown(_logger, address, now - (peer.LastSeen ?? now));
                    }
                }
            }

            // A starting node first listens (StartupGrace, cut short once every member has answered), so that nodes
            // started together elect the lowest address rather than whoever booted first, and a restarted node
            // hears of the live master before it could claim.
            // A node that was itself stalled (a GC pause, a starved thread pool, SIGSTOP) has not been listening:
            // the silence it sees may be its own. It listens for one more interval before it may claim.
            if (_lastEvaluated is { } last && now - last > _options.Heartbeat)
            {
                _listenUntil = now + _options.Heartbeat;
            }

            _lastEvaluated = now;
            if (_options.Election is not null || !_isMember || !_firstRoundDone || _leading || now < _listenUntil
                || (now - _started < _options.StartupGrace && !_members.All(m => m == Self || _peers[m].LastSeen is not null)))
            {
                return;
            }

            var current = _master is not null && IsAliveLocked(_master, now) ? _master : null;
            var choice = Election.Choose(current, _members.Where(m => IsAliveLocked(m, now)));
            if (choice == Self)
            {
                _epoch++;
                _master = Self;
                _leading = true;
                _claimedEpoch = _epoch;
                _leadingSince = now;
                claimed = _epoch;
                Log.BecameMaster(_logger, Self, _epoch, string.Join(", ", _members.Where(m => IsAliveLocked(m, now))));
                SaveLocked();
            }
            else if (choice is not null && current is null && _peers.TryGetValue(choice, out var candidate) && !candidate.Awaited)
            {
                candidate.Awaited = true;
                if (_master is { } down)
                {
                    Log.AwaitingCandidate(_logger, down, choice);
                }
                else
                {
                    Log.AwaitingFirstCandidate(_logger, choice);
                }
            }
        }

        if (claimed is { } epoch)
        {
            EpochChanged?.Invoke(epoch);

            // Tell everyone at once rather than at the next beat.
            _ = HeartbeatRoundAsync(CancellationToken.None);
        }
    }

    private async Task FinishRoundAsync(List<Task> sends)
    {
        await Task.WhenAll(sends).ConfigureAwait(false);
        lock (_sync)
        {
            _firstRoundDone = true;
        }
    }

    private async Task SendAsync(Peer peer, HeartbeatMessage message, CancellationToken cancellationToken)
    {
        var sentAt = _time.GetUtcNow();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Heartbeat);
            var reply = await _transport.HeartbeatAsync(peer.Address, message, timeout.Token).ConfigureAwait(false);
            Observe(reply, sentAt);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Down, slow or refusing: silence is what failure detection measures. Kept for operators (the dashboard's
            // per-node errors), never for decisions.
            lock (_sync)
            {
                peer.ConsecutiveFailures++;
                peer.Failures++;
                peer.LastError = e is OperationCanceledException && !cancellationToken.IsCancellationRequested
                    ? $"no answer within {_options.Heartbeat.TotalMilliseconds:0} ms"
                    : e.Message;
                peer.LastErrorAt = _time.GetUtcNow();
            }
        }
        finally
        {
            lock (_sync)
            {
                peer.Outstanding = false;

                // A failed send counts too (a dead member must not keep the master from leading), but no exchange that
                // ended long after its timeout should have: then this process was paused or starved meanwhile, and the
                // others may have chosen a new master that the late answer (or the late timeout) knows nothing of.
                var stalled = _time.GetUtcNow() - sentAt > _options.Heartbeat * 2;
                if (!stalled && (peer.CompletedSendAt is null || peer.CompletedSendAt < sentAt))
                {
                    peer.CompletedSendAt = sentAt;
                }
            }
        }
    }

    private void Observe(HeartbeatMessage message, DateTimeOffset? sentAt)
    {
        long? adopted = null;
        lock (_sync)
        {
            var now = _time.GetUtcNow();
            if (message.Address != Self)
            {
                var peer = PeerOf(message.Address);
                peer.LastSeen = now;
                peer.ConsecutiveFailures = 0;
                peer.Epoch = message.Epoch;
                if (!peer.Resources.SequenceEqual(message.Resources, StringComparer.Ordinal))
                {
                    peer.Resources = message.Resources;
                    InvalidatePlacement();
                }

                peer.InFlight = message.InFlight;
                peer.Awaited = false;
            }

            // With a directory, membership comes from it alone (FollowDirectory).
            if (_options.Directory is null && message.MembersVersion > _membersVersion)
            {
                AdoptMembersLocked(message.MembersVersion, message.Members);
            }

            if (_options.Election is null && Election.Supersedes(message.Epoch, message.Master, _epoch, _master))
            {
                if (message.Master == Self && !_leading)
                {
                    // Others still follow this node from before a restart: it takes the lead again under a new
                    // epoch at the next evaluation (its earlier incarnation's work is over).
                    _epoch = message.Epoch;
                    _master = Self;
                }
                else
                {
                    if (_leading && message.Master != Self)
                    {
                        _leading = false;
                        if (message.Master is { } leader)
                        {
                            Log.SteppedDown(_logger, Self, leader, message.Epoch);
                        }
                        else
                        {
                            Log.SteppedDownWithoutMaster(_logger, Self, message.Epoch);
                        }
                    }
                    else
                    {
                        if (message.Master is { } leader)
                        {
                            Log.Following(_logger, Self, leader, message.Epoch);
                        }
                        else
                        {
                            Log.AdoptedEpochWithoutMaster(_logger, Self, message.Epoch);
                        }
                    }

                    _epoch = message.Epoch;
                    _master = message.Master;
                }

                adopted = _epoch;
                SaveLocked();
            }
        }

        if (adopted is { } epoch)
        {
            EpochChanged?.Invoke(epoch);
        }
    }

    // Takes the external election's view: its leader is the master, its epoch the newest; this node leads while it
    // holds the leadership (and a member may lead only while it is one).
    private void FollowElection()
    {
        var election = _options.Election!;
        long? newer = null;
        long? gained = null;
        lock (_sync)
        {
            var held = _isMember ? election.HeldEpoch : 0;
            var seen = election.Epoch;
            if (held != 0 && held != _claimedEpoch)
            {
                _claimedEpoch = held;
                _leadingSince = _time.GetUtcNow();
                gained = held;
                Log.BecameMaster(_logger, Self, held, string.Join(", ", _members));
            }
            else if (held == 0 && _leading)
            {
                Log.SteppedDown(_logger, Self, election.Leader ?? "(none)", seen);
            }

            _leading = held != 0;
            _master = _leading ? Self : election.Leader;
            if (Math.Max(seen, held) > _epoch)
            {
                _epoch = Math.Max(seen, held);
                newer = _epoch;
                SaveLocked();
            }
        }

        if (newer is { } epoch)
        {
            EpochChanged?.Invoke(epoch);
        }

        if (gained is { } won)
        {
            if (_options.Directory is not null)
            {
                _ = RecordMembershipAsync(won);
            }

            LeadershipGained?.Invoke(won);
        }
    }

    private void AdoptMembersLocked(long version, IReadOnlyList<string> members)
    {
        _members.Clear();
        _members.UnionWith(members);
        _membersVersion = version;
        InvalidatePlacement();
        foreach (var address in _peers.Keys.Where(a => !_members.Contains(a)).ToList())
        {
            _peers.Remove(address);
        }

        foreach (var member in _members)
        {
            PeerOf(member);
        }

        var wasMember = _isMember;
        _isMember = _members.Contains(Self);
        _everMember |= _isMember;
        if (wasMember && !_isMember)
        {
            _leading = false;
            Log.Removed(_logger, Self, version);
        }

        Log.MembershipChanged(_logger, version, string.Join(", ", _members));
        SaveLocked();
    }

    private bool IsAliveLocked(string address, DateTimeOffset now) =>
        address == Self || (_peers.TryGetValue(address, out var peer) && peer.LastSeen is { } seen && now - seen <= _options.FailureTimeout);

    // Leadership holds while a heartbeat to every member, sent less than the failure timeout (misses intervals, less a
    // tenth of one) ago, has completed (answered or failed) without news of a newer master. A member counts the master
    // silent from the last heartbeat it received, which left here no earlier than its send: so this master stops
    // leading before any member could have given up on it and elected another (a paused master resumes not leading).
    private bool IsConfirmedLocked(DateTimeOffset now)
    {
        var window = (_options.Heartbeat * _options.Misses) - (_options.Heartbeat / 10);
        if (now - _leadingSince <= window)
        {
            return true;
        }

        foreach (var address in _members)
        {
            if (address != Self && (_peers[address].CompletedSendAt is not { } completed || now - completed > window))
            {
                return false;
            }
        }

        return true;
    }

    private Peer PeerOf(string address)
    {
        if (!_peers.TryGetValue(address, out var peer))
        {
            // A member just added has not had a heartbeat yet; it must not count against the master's confirmation
            // before it could have.
            _peers[address] = peer = new Peer(address) { CompletedSendAt = _time.GetUtcNow() };
        }

        return peer;
    }

    private void SaveLocked()
    {
        if (_options.DataDirectory is { } directory)
        {
            new ClusterStateFile(_membersVersion, [.. _members], _epoch).Save(directory, _options.Fsync);
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static CohortException NotMaster(string what) =>
        new(ErrorCodes.NoLeader, $"{what} needs the master, and this node is not it (or is still confirming its leadership); retry.", isTransient: true);

    private sealed class Peer(string address)
    {
        public string Address { get; } = address;

        public DateTimeOffset? LastSeen { get; set; }

        public DateTimeOffset? CompletedSendAt { get; set; }

        public bool Outstanding { get; set; }

        public bool ReportedAlive { get; set; }

        public bool Awaited { get; set; }

        public long Epoch { get; set; }

        public IReadOnlyList<string> Resources { get; set; } = [];

        public int InFlight { get; set; }

        public string? LastError { get; set; }

        public DateTimeOffset? LastErrorAt { get; set; }

        public int ConsecutiveFailures { get; set; }

        public long Failures { get; set; }
    }
}
