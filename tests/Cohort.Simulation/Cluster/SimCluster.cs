using Cohort.Coordination;
using Cohort.Engines;
using Cohort.Simulation.Disk;
using Cohort.Simulation.Runtime;
using Cohort.Simulation.Workload;
using Cohort.Storage.Wal;

namespace Cohort.Simulation.Cluster;

/// <summary>
/// One simulated cluster: three nodes hosting real engines (KV, queue, resource) and a coordinator with a real
/// <see cref="FileDecisionLog"/>, each machine with its own <see cref="SimulatedDisk"/>, all talking through a
/// <see cref="SimNet"/> and all driven by one <see cref="SimLoop"/>. Machines crash (losing what their disk had not
/// synced) and restart from what their disk kept.
/// </summary>
internal sealed class SimCluster
{
    public static readonly IReadOnlyList<(string Node, string[] Resources)> Layout =
    [
        ("n1", ["kv:a", "queue:q"]),
        ("n2", ["kv:b"]),
        ("n3", ["resource:r"]),
    ];

    private readonly List<NodeMachine> _nodes;
    private readonly List<CoordinatorMachine> _coordinators;

    public SimCluster(SimLoop loop, SimConfig config)
    {
        Loop = loop;
        Config = config;
        Net = new SimNet(this);
        Nemesis = new SimNemesis(this);
        Workload = new SimWorkload(this);
        _nodes = [.. Layout.Select(l => new NodeMachine(this, l.Node, l.Resources))];
        // Half the seeds run the embedded shape (one coordinator, its decision log on its disk), half the etcd shape
        // (two coordinators campaigning through a simulated etcd, decisions fenced there).
        SharedLog = loop.Random.Next(2) == 0;
        Metadata = new SimMetadata(this);
        _coordinators = SharedLog ? [new CoordinatorMachine(this, "c1"), new CoordinatorMachine(this, "c2")] : [new CoordinatorMachine(this, "c1")];
        Placement = new LayoutPlacement();

        // A process may die right after answering a client, before anything else happens (the reply is on its way).
        loop.Answered = process =>
        {
            if (process is not null && Machine(process.Name) is { } machine && machine.Process == process)
            {
                Nemesis.MaybeCrashAfterHandling(machine);
            }
        };
    }

    public SimLoop Loop { get; }

    public SimConfig Config { get; }

    public SimNet Net { get; }

    public SimNemesis Nemesis { get; }

    public SimWorkload Workload { get; }

    /// <summary>Whether decisions live in the simulated etcd (two coordinators, one leading) or in c1's own log.</summary>
    public bool SharedLog { get; }

    public SimMetadata Metadata { get; }

    public IReadOnlyList<CoordinatorMachine> Coordinators => _coordinators;

    /// <summary>The coordinator clients should use: c1, or with a shared log the one that believes it leads.</summary>
    public CoordinatorMachine? Leader => SharedLog ? _coordinators.FirstOrDefault(c => c.Instance is { IsLeader: true }) : _coordinators[0];

    /// <summary>Where a participant's decision query goes: c1, or the leader etcd knows (else the recorded coordinator).</summary>
    public CoordinatorMachine DecisionSourceFor(string? recorded) =>
        !SharedLog ? _coordinators[0]
        : _coordinators.FirstOrDefault(c => c.Name == Metadata.Leader?.Holder) ?? _coordinators.FirstOrDefault(c => c.Name == recorded) ?? _coordinators[0];

    public IReadOnlyList<NodeMachine> Nodes => _nodes;

    public IEnumerable<Machine> Machines => [.. _nodes, .. _coordinators];

    public IPlacement Placement { get; }

    /// <summary>Simulated-time settings of the protocol: short, so that a run covers many timeouts.</summary>
    public static TimeSpan TxTimeout => TimeSpan.FromMilliseconds(400);

    public Machine? Machine(string name) => Machines.FirstOrDefault(m => m.Name == name);

    public NodeMachine Node(string name) => _nodes.First(n => n.Name == name);

    public NodeMachine NodeOf(string resource) => _nodes.First(n => n.Resources.Contains(resource));

    public void Trace(string text) => Loop.Trace.Add(Loop.Now, text);

    public void StartAll()
    {
        foreach (var machine in Machines)
        {
            machine.Start();
        }
    }

    private sealed class LayoutPlacement : IPlacement
    {
        public string? NodeOf(string resource) => Layout.FirstOrDefault(l => l.Resources.Contains(resource)).Node;
    }
}

/// <summary>A simulated machine: a disk that outlives its processes, and the process running on it now (if any).</summary>
internal abstract class Machine(SimCluster cluster, string name)
{
    private int _incarnations;

    protected SimCluster Cluster { get; } = cluster;

    public string Name { get; } = name;

    public SimulatedDisk Disk { get; } = new(new Random(cluster.Loop.Random.Next()))
    {
        FsyncFailureProbability = 0,
    };

    /// <summary>The live process, or null while the machine is down.</summary>
    public SimProcess? Process { get; private set; }

    /// <summary>Whether the process finished starting (recovery done) and serves.</summary>
    public bool Serving { get; protected set; }

    public int Crashes { get; private set; }

    /// <summary>What the disk went through, for the run's statistics.</summary>
    public string DiskSummary => $"{Disk.Fsyncs} fsyncs ({Disk.FailedFsyncs} failed), {Disk.BytesLost} bytes lost, {Disk.TornTails} torn tails";

    /// <summary>Boots a new process on this machine; its start-up runs as its first step.</summary>
    public void Start()
    {
        if (Process is { Alive: true })
        {
            return;
        }

        var process = new SimProcess(Name, ++_incarnations);
        Process = process;
        Serving = false;
        Cluster.Trace($"start {process}");
        Cluster.Loop.Post(process, async () =>
        {
            try
            {
                await BootAsync(process).ConfigureAwait(false);
                if (process.Alive)
                {
                    Serving = true;
                    Cluster.Trace($"serving {process}");
                }
            }
            catch (Exception e) when (process.Alive)
            {
                // A process that cannot start (its files damaged, an fsync failing) dies; its supervisor restarts it.
                Cluster.Trace($"failed to start {process}: {e.GetType().Name}: {e.Message}");
                BootFailures.Add($"{process}: {e.GetType().Name}: {e.Message}");
                Crash();
                Cluster.Loop.After(TimeSpan.FromMilliseconds(10), null, Start);
            }
        });
    }

    /// <summary>Kills the process between two steps; the disk loses what was not synced.</summary>
    public void Crash()
    {
        if (Process is not { } process)
        {
            return;
        }

        Crashes++;
        Serving = false;
        Cluster.Loop.Kill(process);
        Process = null;
        Forget();
        var (bytes, torn) = (Disk.BytesLost, Disk.TornTails);
        Disk.Crash();
        Cluster.Trace($"crash {process}: {Disk.BytesLost - bytes} unsynced bytes lost, {Disk.TornTails - torn} torn tails");
    }

    /// <summary>
    /// A log of <paramref name="process"/> failed (a write or fsync error): like a node, it stops at once, and its
    /// supervisor restarts it shortly after.
    /// </summary>
    protected Action<Exception> FailStop(SimProcess process) => error =>
    {
        if (Process != process)
        {
            return;
        }

        Cluster.Trace($"fail-stop {process}: {error.Message}");
        FailStops++;
        Crash();
        Cluster.Loop.After(TimeSpan.FromMilliseconds(10), null, Start);
    };

    public int FailStops { get; private set; }

    /// <summary>Start-up failures seen (reported by the checker: a node that cannot recover from its own disk is a bug).</summary>
    public List<string> BootFailures { get; } = [];

    protected abstract Task BootAsync(SimProcess process);

    protected abstract void Forget();
}

internal sealed class NodeMachine(SimCluster cluster, string name, string[] resources) : Machine(cluster, name)
{
    public string[] Resources { get; } = resources;

    /// <summary>The participant host of the live process.</summary>
    public ParticipantHost? Host { get; private set; }

    protected override Task BootAsync(SimProcess process)
    {
        var host = new ParticipantHost(
            new ParticipantHostOptions
            {
                NodeId = Name,
                TerminationInterval = TimeSpan.FromMilliseconds(20),
                TerminationAttempts = 2,
                TerminationDelay = TimeSpan.FromMilliseconds(2),
                QueryTimeout = TimeSpan.FromMilliseconds(100),
            },
            Cluster.Net,
            Cluster.Loop.Clock);
        foreach (var resource in Resources)
        {
            host.AddEngine(EngineFactory.Open(resource, new EngineOptions
            {
                DataDirectory = $"/{Name}/{resource.Replace(':', '_')}",
                FileSystem = Disk,
                Durability = DurabilityMode.Fsync,
                TimeProvider = Cluster.Loop.Clock,
                MaintenanceInterval = TimeSpan.FromMilliseconds(50),
                SnapshotThresholdBytes = 4096,
                OnStorageFailure = FailStop(process),
            }));
        }

        Host = host;
        host.Start();
        return Task.CompletedTask;
    }

    protected override void Forget() => Host = null;
}

internal sealed class CoordinatorMachine(SimCluster cluster, string name) : Machine(cluster, name)
{
    private long _epoch;

    /// <summary>The coordinator of the live process (set once its recovery finished).</summary>
    public Coordinator? Instance { get; private set; }

    public int Compactions { get; private set; }

    private FileDecisionLog? _log;

    protected override async Task BootAsync(SimProcess process)
    {
        if (Cluster.SharedLog)
        {
            await BootSharedAsync(process).ConfigureAwait(false);
            return;
        }

        var log = FileDecisionLog.Open(new FileDecisionLogOptions
        {
            Directory = $"/{Name}/decisions",
            FileSystem = Disk,
            Durability = DurabilityMode.Fsync,
            CompactAfterRecords = 16,
            OnStorageFailure = FailStop(process),
        });
        var coordinator = new Coordinator(
            Options(epoch: ++_epoch, leadership: null),
            Cluster.Net,
            Cluster.Placement,
            log,
            Cluster.Loop.Clock);
        _log = log;
        await coordinator.RecoverAsync().ConfigureAwait(false);
        if (process.Alive)
        {
            Instance = coordinator;
        }
    }

    // Short simulated-time settings, so that a run covers many timeouts and retries.
    private CoordinatorOptions Options(long epoch, ILeadership? leadership) => new()
    {
        NodeId = Name,
        Epoch = epoch,
        Leadership = leadership,
        MessageTimeout = TimeSpan.FromMilliseconds(100),
        RetryInitialDelay = TimeSpan.FromMilliseconds(2),
        RetryMaxDelay = TimeSpan.FromMilliseconds(20),
        AbortAttempts = 3,
        SweepInterval = TimeSpan.FromMilliseconds(50),
    };

    // The etcd shape: leadership and decisions through the simulated etcd; a new leader adopts what its predecessors
    // left unfinished, as the node does.
    private async Task BootSharedAsync(SimProcess process)
    {
        var leadership = new SimLeadership(Cluster, Name);
        var coordinator = new Coordinator(
            Options(epoch: 1, leadership),
            Cluster.Net,
            Cluster.Placement,
            new SimSharedDecisionLog(Cluster, Name),
            Cluster.Loop.Clock);
        await coordinator.RecoverAsync().ConfigureAwait(false);
        if (!process.Alive)
        {
            return;
        }

        Instance = coordinator;
        leadership.Gained += epoch => _ = AdoptAsync(coordinator, leadership, epoch, process);
        leadership.Start();
    }

    private async Task AdoptAsync(Coordinator coordinator, SimLeadership leadership, long epoch, SimProcess process)
    {
        while (process.Alive && leadership.Epoch == epoch)
        {
            try
            {
                await coordinator.AdoptUnfinishedAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is CohortException or IOException or TimeoutException or OperationCanceledException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), Cluster.Loop.Clock).ConfigureAwait(false);
            }
        }
    }

    protected override void Forget()
    {
        Compactions += _log?.CompactionCount ?? 0;
        _log = null;
        Instance = null;
    }
}
