using Cohort.Coordination;
using Cohort.Engines;
using Cohort.Storage.Wal;

namespace Cohort.Tests.Coordination;

/// <summary>
/// Three nodes in one process, each a <see cref="ParticipantHost"/> over real engines in temp directories
/// (n1: kv:users, n2: queue:events, n3: resource:points), a coordinator with a real <see cref="FileDecisionLog"/>,
/// connected through <see cref="InProcessParticipantTransport"/> (optionally wrapped to inject faults).
/// Nodes and the coordinator can be restarted from their directories.
/// </summary>
internal sealed class CoordinationCluster : IAsyncDisposable
{
    public static readonly Dictionary<string, string[]> Layout = new()
    {
        ["n1"] = ["kv:users"],
        ["n2"] = ["queue:events"],
        ["n3"] = ["resource:points"],
    };

    private readonly TempDirectory _directory = new();
    private readonly Func<IParticipantTransport, IParticipantTransport>? _wrap;
    private readonly Dictionary<string, ParticipantHost> _hosts = [];
    private readonly int _finishedCapacity;
    private readonly int _phaseTwoBacklog;
    private long _epoch;

    public CoordinationCluster(TimeProvider? time = null, Func<IParticipantTransport, IParticipantTransport>? wrap = null, int finishedCapacity = CoordinatorOptions.DefaultFinishedCapacity, int phaseTwoBacklog = CoordinatorOptions.DefaultPhaseTwoBacklog)
    {
        Time = time ?? TimeProvider.System;
        _finishedCapacity = finishedCapacity;
        _phaseTwoBacklog = phaseTwoBacklog;
        _wrap = wrap;
        Network = new InProcessParticipantTransport();
        Transport = wrap is null ? Network : wrap(Network);
        foreach (var node in Layout.Keys)
        {
            StartNode(node);
        }

        StartCoordinator();
    }

    public TimeProvider Time { get; }

    /// <summary>The configuration terms placement gives (a replicated resource's); empty: none is replicated.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, long> Terms { get; } = new();

    /// <summary>Resources placement puts on another node than <see cref="Layout"/> (a replicated resource's new primary).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, string> Moved { get; } = new();

    public InProcessParticipantTransport Network { get; }

    public IParticipantTransport Transport { get; }

    public Coordinator Coordinator { get; private set; } = null!;

    public FileDecisionLog DecisionLog { get; private set; } = null!;

    public string DecisionDirectory => Path.Combine(_directory.Path, "decisions");

    public Func<IDecisionLog, IDecisionLog>? WrapLog { get; set; }

    /// <summary>The leadership source of coordinators started from now on (null: always leading at their own epoch).</summary>
    public ILeadership? Leadership { get; set; }

    public ParticipantHost Host(string node) => _hosts[node];

    public ITransactionalEngine Engine(string resource) =>
        _hosts.Values.Select(h => h.GetEngine(resource)).First(e => e is not null)!;

    public void StartCoordinator()
    {
        DecisionLog = FileDecisionLog.Open(new FileDecisionLogOptions { Directory = DecisionDirectory, Durability = DurabilityMode.None });
        IDecisionLog log = WrapLog is null ? DecisionLog : WrapLog(DecisionLog);
        Coordinator = new Coordinator(
            new CoordinatorOptions
            {
                NodeId = "coordinator",
                Epoch = ++_epoch,
                Leadership = Leadership,
                MessageTimeout = TimeSpan.FromSeconds(5),
                RetryInitialDelay = TimeSpan.FromMilliseconds(5),
                RetryMaxDelay = TimeSpan.FromMilliseconds(50),
                SweepInterval = Timeout.InfiniteTimeSpan,
                FinishedCapacity = _finishedCapacity,
                PhaseTwoBacklog = _phaseTwoBacklog,
            },
            Transport,
            new StaticPlacement(Layout, Terms, Moved),
            log,
            Time);
    }

    public async Task RecoverCoordinatorAsync() => await Coordinator.RecoverAsync();

    /// <summary>Drops the coordinator's memory and closes its log, as a crash would (the log keeps what was appended).</summary>
    public async Task StopCoordinatorAsync()
    {
        await Coordinator.DisposeAsync();
        await DecisionLog.DisposeAsync();
    }

    public void StartNode(string node)
    {
        var host = new ParticipantHost(
            new ParticipantHostOptions { NodeId = node, TerminationInterval = Timeout.InfiniteTimeSpan, TerminationDelay = TimeSpan.FromMilliseconds(5) },
            new CoordinatorDecisionSource(() => Coordinator),
            Time);
        foreach (var resource in Layout[node])
        {
            host.AddEngine(EngineFactory.Open(resource, new EngineOptions
            {
                DataDirectory = Path.Combine(_directory.Path, node, resource.Replace(':', '_')),
                Durability = DurabilityMode.None,
                MaintenanceInterval = Timeout.InfiniteTimeSpan,
                TimeProvider = Time,
            }));
        }

        _hosts[node] = host;
        Network.Register(host);
    }

    /// <summary>Disposes the node's engines (their memory is lost) and reopens them from their directories.</summary>
    public async Task RestartNodeAsync(string node)
    {
        Network.Unregister(node);
        await _hosts[node].DisposeAsync();
        StartNode(node);
    }

    public async Task<Value> ReadAsync(string resource, Operation operation)
    {
        var engine = Engine(resource);
        return await engine.ReadAsync(engine.Clock.Now(), operation, default);
    }

    public async Task InitializePointsAsync(long mint)
    {
        var tx = Coordinator.Begin();
        await Coordinator.ApplyAsync(tx.TxId, "resource:points", Operation.Create("initialize", ("symbol", Value.From("PTS")), ("decimals", 2L)));
        await Coordinator.ApplyAsync(tx.TxId, "resource:points", Operation.Create("mint", ("to", Value.From("system")), ("amount", Value.From(mint.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        var outcome = await Coordinator.CommitAsync(tx.TxId);
        Assert.True(outcome.IsCommitted, $"setup: {outcome}");
    }

    public async ValueTask DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        await DecisionLog.DisposeAsync();
        foreach (var host in _hosts.Values)
        {
            await host.DisposeAsync();
        }

        _directory.Dispose();
    }
}
