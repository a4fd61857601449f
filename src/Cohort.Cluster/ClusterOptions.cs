namespace Cohort.Cluster;

/// <summary>Settings of a <see cref="ClusterAgent"/>.</summary>
public sealed class ClusterOptions
{
    private readonly TimeSpan? _startupGrace;

    /// <summary>Default heartbeat interval: 1 second.</summary>
    public static readonly TimeSpan DefaultHeartbeat = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Default number of heartbeat intervals without word from a node before it counts as down: 2, so a dead master
    /// is replaced within 3 intervals.
    /// </summary>
    public const int DefaultMisses = 2;

    /// <summary>This node's address.</summary>
    public required string Self { get; init; }

    /// <summary>The addresses given at start (<c>--nodes</c>); this node joins through them when it is not yet a member.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary>How often heartbeats go out.</summary>
    public TimeSpan Heartbeat { get; init; } = DefaultHeartbeat;

    /// <summary>Intervals of silence after which a node counts as down.</summary>
    public int Misses { get; init; } = DefaultMisses;

    /// <summary>Where membership and the newest epoch persist (<c>cluster.json</c>); null keeps them in memory only.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Whether the state file is fsynced on every change.</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>
    /// How long a starting node listens before it may elect itself, unless every member answered sooner; by default
    /// <see cref="FailureTimeout"/>.
    /// </summary>
    public TimeSpan StartupGrace { get => _startupGrace ?? FailureTimeout; init => _startupGrace = value; }

    /// <summary>
    /// An election to follow instead of the embedded one (the etcd backend); null runs the embedded election. Membership
    /// and failure detection stay the agent's either way.
    /// </summary>
    public ILeaderElection? Election { get; init; }

    /// <summary>
    /// Where membership and placement live instead of in heartbeats and <c>cluster.json</c> (the etcd backend); null keeps
    /// them the agent's own. With a directory, membership changes are written there by the leader, and every node adopts
    /// what the directory shows.
    /// </summary>
    public IClusterDirectory? Directory { get; init; }

    /// <summary>
    /// The primaries of the replicated resources (their configurations'), which placement puts before any other source;
    /// call <see cref="ClusterAgent.ResourcesChanged"/> when they change. Null: no replicated resources.
    /// </summary>
    public Func<IEnumerable<KeyValuePair<string, string>>>? Primaries { get; init; }

    /// <summary>The configuration term of a replicated resource (0: not replicated); what <see cref="ClusterAgent.TermOf"/> answers. Null: no replicated resources.</summary>
    public Func<string, long>? Terms { get; init; }

    /// <summary>The silence after which a node counts as down.</summary>
    public TimeSpan FailureTimeout => Heartbeat * Misses;

    /// <summary>Checks the settings.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Self);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Heartbeat, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(Misses, 1);
    }
}
