using System.Collections.Concurrent;
using System.Globalization;
using Cohort.Coordination;
using Cohort.Engines;
using Cohort.Storage.Wal;

namespace Cohort.Tests.Coordination.Simulation;

/// <summary>
/// One simulated cluster for one seed: three nodes hosting real engines in temp directories, a coordinator with a
/// real <see cref="FileDecisionLog"/>, all talking through a <see cref="SimNetwork"/>. Any party can crash (its memory
/// is dropped, its files kept) and restart from its directory.
/// </summary>
internal sealed class SimWorld : IAsyncDisposable
{
    public static readonly Dictionary<string, string[]> Layout = new()
    {
        ["n1"] = ["kv:a", "queue:q"],
        ["n2"] = ["kv:b"],
        ["n3"] = ["resource:r"],
    };

    public static readonly TimeSpan TxTimeout = TimeSpan.FromMilliseconds(400);

    /// <summary>Engine snapshot threshold; COHORT_SIM_SNAPSHOT_BYTES (at least 4096) makes engines snapshot during runs.</summary>
    private static readonly long SnapshotThresholdBytes =
        long.TryParse(Environment.GetEnvironmentVariable("COHORT_SIM_SNAPSHOT_BYTES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) && bytes >= 4096
            ? bytes
            : EngineOptions.DefaultSnapshotThresholdBytes;

    private readonly TempDirectory _directory = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (ParticipantHost? Host, int Incarnation)> _nodes = [];
    private readonly ConcurrentDictionary<TxId, int> _ordinals = new();
    private readonly ConcurrentBag<Task> _tracked = [];
    private readonly ConcurrentDictionary<string, int> _messageCounts = new();
    private readonly SemaphoreSlim[] _parties = [.. Enumerable.Range(0, 4).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly ConcurrentBag<Task> _crashes = [];
    private Coordinator? _coordinator;
    private FileDecisionLog? _log;
    private long _epoch;
    private bool _coordinatorUp;

    public SimWorld(int seed, double faultRate)
    {
        Seed = seed;
        FaultRate = faultRate;
        Network = new SimNetwork(this);
    }

    public int Seed { get; }

    public double FaultRate { get; }

    public SimNetwork Network { get; }

    private int _coordinatorCrashes;
    private int _nodeCrashes;

    public int CoordinatorCrashes => _coordinatorCrashes;

    public int NodeCrashes => _nodeCrashes;

    /// <summary>Compactions of the decision log, summed over the coordinator's lives.</summary>
    public int Compactions => _compactions + (_log?.CompactionCount ?? 0);

    private int _compactions;

    public Coordinator? Coordinator
    {
        get
        {
            lock (_gate)
            {
                return _coordinatorUp ? _coordinator : null;
            }
        }
    }

    public bool IsCurrentCoordinator(long epoch)
    {
        lock (_gate)
        {
            return _coordinatorUp && epoch == _epoch;
        }
    }

    public long CoordinatorEpoch
    {
        get
        {
            lock (_gate)
            {
                return _coordinatorUp ? _epoch : -1;
            }
        }
    }

    public (ParticipantHost? Host, int Incarnation) NodeOf(string node)
    {
        lock (_gate)
        {
            return _nodes[node];
        }
    }

    public IEnumerable<ParticipantHost> Hosts
    {
        get
        {
            lock (_gate)
            {
                return [.. _nodes.Values.Where(n => n.Host is not null).Select(n => n.Host!)];
            }
        }
    }

    public ITransactionalEngine Engine(string resource)
    {
        var node = Layout.Single(n => n.Value.Contains(resource)).Key;
        return NodeOf(node).Host!.GetEngine(resource)!;
    }

    public int OrdinalOf(TxId txId) => _ordinals.TryGetValue(txId, out var ordinal) ? ordinal : -1;

    public void Register(TxId txId, int ordinal) => _ordinals[txId] = ordinal;

    /// <summary>Batches get their transaction id inside the coordinator: recognise the workload's marker arguments.</summary>
    public void RegisterFromOperations(TxId txId, IReadOnlyList<Operation> operations)
    {
        foreach (var operation in operations)
        {
            foreach (var (_, value) in operation.Arguments.AsMap())
            {
                if (value.Kind == ValueKind.String && value.AsString() is { Length: > 2 } text && text[1] == '-'
                    && int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal))
                {
                    _ordinals.TryAdd(txId, ordinal);
                    return;
                }
            }
        }
    }

    public void Track(Task task) => _tracked.Add(task);

    /// <summary>Crashes tied to protocol progress (see <see cref="CrashTrigger"/>).</summary>
    public IReadOnlyList<CrashTrigger> Triggers { get; set; } = [];

    /// <summary>Counts a message of <paramref name="kind"/> and returns its occurrence number.</summary>
    public int CountMessage(string kind) => _messageCounts.AddOrUpdate(kind, 1, static (_, n) => n + 1);

    /// <summary>Fires the triggers matching this message; true when the party that would handle the reply crashed.</summary>
    public bool MaybeCrash(string kind, int occurrence, string node, bool afterDelivery)
    {
        if (Network.Healthy)
        {
            return false;
        }

        var fired = false;
        foreach (var trigger in Triggers)
        {
            if (trigger.Kind == kind && trigger.Occurrence == occurrence && trigger.AfterDelivery == afterDelivery)
            {
                var party = trigger.Coordinator ? 0 : int.Parse(node.AsSpan(1), CultureInfo.InvariantCulture);
                _crashes.Add(CrashAndRestartAsync(party, trigger.DownMs));
                fired = true;
            }
        }

        return fired;
    }

    /// <summary>Crashes party 0 (the coordinator) or node n (party n), waits, restarts it; one crash of a party at a time.</summary>
    public async Task CrashAndRestartAsync(int party, int downMs)
    {
        await _parties[party].WaitAsync();
        try
        {
            if (party == 0)
            {
                await CrashCoordinatorAsync();
                await Task.Delay(downMs);
                await StartCoordinatorAsync();
            }
            else
            {
                var node = $"n{party}";
                await CrashNodeAsync(node);
                await Task.Delay(downMs);
                StartNode(node);
            }
        }
        finally
        {
            _parties[party].Release();
        }
    }

    /// <summary>Waits until every triggered crash has restarted its party.</summary>
    public async Task WhenCrashesDoneAsync()
    {
        while (_crashes.Any(t => !t.IsCompleted))
        {
            await Task.WhenAll(_crashes);
        }
    }

    public async Task StartAsync()
    {
        foreach (var node in Layout.Keys)
        {
            StartNode(node);
        }

        await StartCoordinatorAsync();
    }

    public void StartNode(string node)
    {
        var host = new ParticipantHost(
            new ParticipantHostOptions
            {
                NodeId = node,
                TerminationInterval = TimeSpan.FromMilliseconds(20),
                TerminationAttempts = 2,
                TerminationDelay = TimeSpan.FromMilliseconds(2),
                QueryTimeout = TimeSpan.FromMilliseconds(100),
            },
            Network);
        foreach (var resource in Layout[node])
        {
            host.AddEngine(EngineFactory.Open(resource, new EngineOptions
            {
                DataDirectory = Path.Combine(_directory.Path, node, resource.Replace(':', '_')),
                Durability = DurabilityMode.None,
                MaintenanceInterval = TimeSpan.FromMilliseconds(50),
                SnapshotThresholdBytes = SnapshotThresholdBytes,
            }));
        }

        lock (_gate)
        {
            var incarnation = _nodes.TryGetValue(node, out var old) ? old.Incarnation + 1 : 1;
            _nodes[node] = (host, incarnation);
        }

        host.Start();
    }

    /// <summary>The node dies: its memory is gone, messages to it fail, replies it was about to send are lost.</summary>
    public async Task CrashNodeAsync(string node)
    {
        ParticipantHost? host;
        lock (_gate)
        {
            var (old, incarnation) = _nodes[node];
            host = old;
            _nodes[node] = (null, incarnation + 1);
        }

        Interlocked.Increment(ref _nodeCrashes);
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    public async Task StartCoordinatorAsync()
    {
        var log = FileDecisionLog.Open(new FileDecisionLogOptions
        {
            Directory = Path.Combine(_directory.Path, "decisions"),
            Durability = DurabilityMode.None,
            CompactAfterRecords = 16,
        });
        long epoch;
        lock (_gate)
        {
            epoch = ++_epoch;
        }

        var coordinator = new Coordinator(
            new CoordinatorOptions
            {
                NodeId = "coordinator",
                Epoch = epoch,
                MessageTimeout = TimeSpan.FromMilliseconds(100),
                RetryInitialDelay = TimeSpan.FromMilliseconds(2),
                RetryMaxDelay = TimeSpan.FromMilliseconds(20),
                AbortAttempts = 3,
                SweepInterval = TimeSpan.FromMilliseconds(50),
            },
            Network,
            new StaticPlacement(Layout),
            log);
        await coordinator.RecoverAsync();
        lock (_gate)
        {
            _coordinator = coordinator;
            _log = log;
            _coordinatorUp = true;
        }
    }

    /// <summary>The coordinator dies: in-memory state dropped, its decision log closed (what was appended stays).</summary>
    public async Task CrashCoordinatorAsync()
    {
        Coordinator? coordinator;
        FileDecisionLog? log;
        lock (_gate)
        {
            coordinator = _coordinator;
            log = _log;
            _coordinator = null;
            _log = null;
            _coordinatorUp = false;
        }

        Interlocked.Increment(ref _coordinatorCrashes);
        if (coordinator is not null)
        {
            await coordinator.DisposeAsync();
        }

        if (log is not null)
        {
            await log.DisposeAsync();
            _compactions += log.CompactionCount;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CrashCoordinatorAsync();
        foreach (var node in Layout.Keys)
        {
            await CrashNodeAsync(node);
        }

        try
        {
            await Task.WhenAll(_tracked).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is TimeoutException or CohortException or IOException or OperationCanceledException)
        {
            // Duplicates still in flight to closed nodes.
        }

        _directory.Dispose();
    }
}
