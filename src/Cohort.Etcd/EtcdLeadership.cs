using Cohort.Cluster;
using Cohort.Coordination;
using dotnet_etcd;
using dotnet_etcd.interfaces;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cohort.Etcd;

/// <summary>
/// Leadership by a lease-backed campaign in etcd. Each candidate holds a lease (kept alive every
/// <see cref="EtcdLeadershipOptions.KeepAliveInterval"/>) and campaigns with one transaction: "if
/// <c>&lt;prefix&gt;/leader</c> does not exist, create it with my name, bound to my lease". The winner leads; the others
/// watch the key and campaign again when it is deleted (the leader resigned, or its lease expired). The epoch is the
/// leader key's create revision, which only grows: a fencing token for participants and for the decision log.
/// </summary>
/// <remarks>
/// <see cref="IsLeader"/> is true only while this node holds the key <em>and</em> its own lease deadline has not passed:
/// the start of the last keep-alive request etcd confirmed, plus the granted TTL, minus
/// <see cref="EtcdLeadershipOptions.SafetyMargin"/>. etcd keeps the lease at least a TTL after it received that request,
/// so a paused or partitioned leader stops leading before anyone else can create the key. Decisions are fenced in etcd
/// as well (<see cref="EtcdDecisionLog"/>), so even a leader that is wrong about its lease cannot record one.
/// </remarks>
public sealed partial class EtcdLeadership : ILeadership, ILeaderElection, IAsyncDisposable
{
    private readonly IConnection _etcd;
    private readonly EtcdLeadershipOptions _options;
    private readonly EtcdKeys _keys;
    private readonly ByteString _me;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;
    private int _started;
    private int _stopped;

    // Guarded by _gate.
    private long _leaseId;
    private TimeSpan _grantedTtl;
    private long _validUntil;
    private CancellationTokenSource? _leaseScope;
    private Task _keepAlive = Task.CompletedTask;
    private long _heldEpoch;
    private long _observedEpoch;
    private string? _leader;

    private volatile bool _paused;
    private long _keepAlivesConfirmed;

    /// <summary>Creates a candidate; it campaigns once <see cref="Start"/> is called.</summary>
    /// <param name="client">The etcd client (see <see cref="EtcdClientFactory"/>); not owned, the caller disposes it after this.</param>
    /// <param name="options">Key prefix, candidate name, TTL.</param>
    /// <param name="logger">Where leadership changes are logged.</param>
    /// <param name="time">The clock of the local lease deadline.</param>
    public EtcdLeadership(EtcdClient client, EtcdLeadershipOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _etcd = client.GetConnection();
        _options = options;
        _keys = new EtcdKeys(options.KeyPrefix);
        _me = ByteString.CopyFromUtf8(options.Candidate);
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc/>
    /// <remarks>Raised outside the candidate's lock, on whichever thread saw the change.</remarks>
    public event Action? Changed;

    long ILeaderElection.Epoch
    {
        get
        {
            lock (_gate)
            {
                return Math.Max(_heldEpoch, _observedEpoch);
            }
        }
    }

    /// <summary>
    /// Whether this node may campaign now (consulted before every campaign; default: always). A node that is not a
    /// member of its cluster must not take the leader key.
    /// </summary>
    public Func<bool> Eligible { get; set; } = static () => true;

    /// <summary>This candidate's name (the leader key's value while it leads).</summary>
    public string Candidate => _options.Candidate;

    /// <summary>The leader key, <c>&lt;prefix&gt;/leader</c>.</summary>
    public string LeaderKey => _keys.Leader.ToStringUtf8();

    /// <summary>
    /// The epoch: while this node holds the leader key, that key's create revision; otherwise the create revision of the
    /// leader key last seen (0 before any was seen).
    /// </summary>
    public long Epoch
    {
        get
        {
            lock (_gate)
            {
                return _heldEpoch != 0 ? _heldEpoch : _observedEpoch;
            }
        }
    }

    /// <summary>Whether this node holds the leader key and its local lease deadline has not passed.</summary>
    public bool IsLeader
    {
        get
        {
            lock (_gate)
            {
                return _heldEpoch != 0 && _time.GetTimestamp() < _validUntil;
            }
        }
    }

    /// <summary>The current leader's name as read from the leader key (this node's own while it holds it); null when none is known.</summary>
    public string? Leader
    {
        get
        {
            lock (_gate)
            {
                return _leader;
            }
        }
    }

    /// <summary>The id of this candidate's current lease, 0 when it has none.</summary>
    internal long LeaseId
    {
        get
        {
            lock (_gate)
            {
                return _leaseId;
            }
        }
    }

    /// <summary>The TTL etcd granted the current lease.</summary>
    internal TimeSpan GrantedTtl
    {
        get
        {
            lock (_gate)
            {
                return _grantedTtl;
            }
        }
    }

    /// <summary>The epoch this node holds the leader key with, 0 when it does not (whatever its lease deadline says).</summary>
    public long HeldEpoch
    {
        get
        {
            lock (_gate)
            {
                return _heldEpoch;
            }
        }
    }

    /// <summary>Keep-alives that etcd confirmed.</summary>
    internal long KeepAlivesConfirmed => Interlocked.Read(ref _keepAlivesConfirmed);

    /// <summary>
    /// Test hook: while true this candidate sends etcd nothing — no keep-alive, no lease grant, no campaign — as if its
    /// process were stopped or cut off from etcd; a watch already open still reports to it.
    /// </summary>
    internal bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    /// <summary>Starts campaigning in the background (once).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        _run = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>
    /// Stops campaigning and resigns: deletes the leader key if this node holds it and revokes the lease, so another
    /// candidate can lead at once rather than after the TTL. Bounded by <see cref="EtcdLeadershipOptions.RequestTimeout"/>
    /// per call; a failed resignation leaves the lease to expire.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        long lease;
        long held;
        Task keepAlive;
        CancellationTokenSource? scope;
        lock (_gate)
        {
            lease = _leaseId;
            held = _heldEpoch;
            keepAlive = _keepAlive;
            scope = _leaseScope;
            _leaseId = 0;
            _heldEpoch = 0;
            _leaseScope = null;
            if (held != 0)
            {
                _leader = null;
            }
        }

        await keepAlive.ConfigureAwait(false);
        scope?.Dispose();
        await ResignAsync(lease, held).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task ResignAsync(long lease, long held)
    {
        try
        {
            if (held != 0)
            {
                var resign = new TxnRequest();
                resign.Compare.Add(new Compare
                {
                    Key = _keys.Leader,
                    Target = Compare.Types.CompareTarget.Create,
                    Result = Compare.Types.CompareResult.Equal,
                    CreateRevision = held,
                });
                resign.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = _keys.Leader } });
                await _etcd.KVClient.TxnAsync(resign, deadline: Deadline()).ResponseAsync.ConfigureAwait(false);
                Log.Resigned(_logger, _options.Candidate, held);
            }

            if (lease != 0)
            {
                await _etcd.LeaseClient.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, deadline: Deadline()).ResponseAsync.ConfigureAwait(false);
            }
        }
        catch (Exception e) when (EtcdErrors.IsCall(e))
        {
            Log.ResignFailed(_logger, _options.Candidate, EtcdErrors.Describe(e));
        }
    }

    private DateTime Deadline() => DateTime.UtcNow + _options.RequestTimeout;

    private long TimestampAfter(long start, TimeSpan span) => start + (long)(span.TotalSeconds * _time.TimestampFrequency);
}
