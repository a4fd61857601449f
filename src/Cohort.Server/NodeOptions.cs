using Cohort.Protocol;
namespace Cohort.Server;

/// <summary>How a node runs: its address, its peers, where it keeps data, and the protocol's timing.</summary>
public sealed class NodeOptions
{
    /// <summary>Default heartbeat interval.</summary>
    public static readonly TimeSpan DefaultHeartbeat = TimeSpan.FromSeconds(1);

    /// <summary>Default transaction timeout given by the coordinator when a client names none.</summary>
    public static readonly TimeSpan DefaultCoordinatorTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Default largest request body accepted, in bytes.</summary>
    public const long DefaultMaxRequestBytes = 1024 * 1024;

    /// <summary>The address this node listens on and is known by, <c>host:port</c> (127.0.0.1:7001).</summary>
    public required string Address { get; init; }

    /// <summary>
    /// Whether the node was started with <c>start-master</c> (the seed's name for the first node). Any node may
    /// become master by election; this only lets the node start without <see cref="Nodes"/>.
    /// </summary>
    public bool IsMaster { get; init; }

    /// <summary>
    /// The cluster's addresses (this node's own may be among them). A node not among them joins through them; after
    /// a change at run time, the membership saved in the data directory takes precedence.
    /// </summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];

    /// <summary>The node's data directory (engines, decision log).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The bearer token every request except <c>/health</c> must carry, or null for none.</summary>
    public string? AuthToken { get; init; }

    /// <summary>How often nodes check each other's health.</summary>
    public TimeSpan Heartbeat { get; init; } = DefaultHeartbeat;

    /// <summary>Heartbeat intervals of silence after which a node counts as down (and a silent master is replaced).</summary>
    public int Misses { get; init; } = Cohort.Cluster.ClusterOptions.DefaultMisses;

    /// <summary>The transaction timeout used when a client names none.</summary>
    public TimeSpan CoordinatorTimeout { get; init; } = DefaultCoordinatorTimeout;

    /// <summary>The resources this node hosts besides its default SQL shard (<c>kv:users</c>, …).</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];

    /// <summary>
    /// Replicated resources the cluster should have (<c>--replicated kv:orders=3</c>): name → copies (2 to 9). Once the
    /// node runs it asks the leader to create each that does not exist yet, retrying until the cluster has enough
    /// members; one that exists is left as it is. Needs <see cref="Etcd"/>. Every node may name the same ones.
    /// </summary>
    public IReadOnlyDictionary<string, int> Replicated { get; init; } = new Dictionary<string, int>();

    /// <summary>The largest request body accepted, in bytes.</summary>
    public long MaxRequestBytes { get; init; } = DefaultMaxRequestBytes;

    /// <summary>Whether engines fsync their logs (off only for experiments).</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>
    /// Whether protocol messages to other nodes travel over one WebSocket per node (<c>/internal/ws</c>, the default)
    /// rather than as one HTTP request each; the same requests and answers either way.
    /// </summary>
    public bool MessageSockets { get; init; } = true;

    /// <summary>
    /// The PostgreSQL connection string of this node's default shard <c>pg:default</c> (<c>--dsn</c>, or <c>POSTGRES_DSN</c>);
    /// null for none. The seed payload of <c>/transaction</c> runs on <c>pg:default</c> of every node that has one.
    /// </summary>
    public string? Dsn { get; init; }

    /// <summary>More PostgreSQL resources this node hosts, by name (<c>pg:shard1</c>) with their connection strings.</summary>
    public IReadOnlyDictionary<string, string> ResourceDsns { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The etcd cluster's client URLs, comma-separated (<c>--etcd</c>, or <c>COHORT_ETCD</c>); null runs the embedded
    /// backend. With etcd, leadership is a lease-backed campaign every node takes part in, and commit decisions live in
    /// etcd, where a new leader finds (and finishes) those of a master lost for good.
    /// </summary>
    public string? Etcd { get; init; }

    /// <summary>The cluster's key prefix in etcd (<c>--etcd-prefix</c>): clusters sharing an etcd keep apart by it.</summary>
    public string EtcdPrefix { get; init; } = DefaultEtcdPrefix;

    /// <summary>Default <see cref="EtcdPrefix"/>.</summary>
    public const string DefaultEtcdPrefix = "/cohort/default";

    /// <summary>
    /// The leader's lease time to live with etcd (<c>--lease-ttl</c>, whole seconds): a master that stops renewing it
    /// (dead, paused, cut off) is replaced about this long after, and stops leading a third of it sooner.
    /// </summary>
    public TimeSpan LeaseTtl { get; init; } = DefaultLeaseTtl;

    /// <summary>
    /// Where to dial other nodes when not at their advertised address (<c>--peer-route</c>, or <c>COHORT_PEER_ROUTES</c>):
    /// a peer behind NAT, a port forward or a tunnel. Names stay the nodes' identities; only connections go elsewhere.
    /// </summary>
    public PeerRoutes PeerRoutes { get; init; } = PeerRoutes.None;

    /// <summary>
    /// Where the node sends its spans (OTLP over HTTP/protobuf, e.g. <c>http://127.0.0.1:4318/v1/traces</c>, or gRPC
    /// when the URL has no path, e.g. <c>http://127.0.0.1:4317</c>), or null for none: <c>--otlp-endpoint</c>.
    /// </summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>
    /// The node's certificate (PEM; intermediates after it are sent along): with <see cref="TlsKeyPath"/> the node
    /// serves https and wss only, and calls the other nodes over https and wss (<c>--tls-cert</c>). Every node of a
    /// cluster serves TLS or none does. Null for plain http.
    /// </summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>The private key of <see cref="TlsCertificatePath"/> (PEM, unencrypted): <c>--tls-key</c>.</summary>
    public string? TlsKeyPath { get; init; }

    /// <summary>
    /// The CA certificates (PEM) that the other nodes' certificates must chain to (<c>--tls-ca</c>); null to trust the
    /// machine's trust store. Needs <see cref="TlsCertificatePath"/>.
    /// </summary>
    public string? TlsCaPath { get; init; }

    /// <summary>Default <see cref="LeaseTtl"/>: 5 s.</summary>
    public static readonly TimeSpan DefaultLeaseTtl = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Checks the options; throws <see cref="ArgumentException"/> naming the bad one, or <see cref="Core.CohortException"/>
    /// (<c>bad_operation</c>) for a DSN that is neither a connection string nor a <c>postgres://</c> URI.
    /// </summary>
    public void Validate()
    {
        if (!NodeAddress.TryParse(Address, out _))
        {
            throw new ArgumentException($"--addr '{Address}' is not host:port.", nameof(Address));
        }

        foreach (var node in Nodes)
        {
            if (!NodeAddress.TryParse(node, out _))
            {
                throw new ArgumentException($"--nodes entry '{node}' is not host:port.", nameof(Nodes));
            }
        }

        if (!IsMaster && Nodes.Count == 0)
        {
            throw new ArgumentException("A node needs --nodes naming the cluster's members (or at least one of them to join through).", nameof(Nodes));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(DataDirectory);
        if ((TlsCertificatePath is null) != (TlsKeyPath is null))
        {
            throw new ArgumentException("--tls-cert and --tls-key go together (the node's certificate and its private key, PEM).", nameof(TlsCertificatePath));
        }

        if (TlsCaPath is not null && TlsCertificatePath is null)
        {
            throw new ArgumentException("--tls-ca needs --tls-cert and --tls-key: it says whom a TLS node trusts, and this node serves plain http.", nameof(TlsCaPath));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Heartbeat, TimeSpan.Zero);
        if (Misses < 1)
        {
            throw new ArgumentException($"--misses must be at least 1 (got {Misses}).", nameof(Misses));
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CoordinatorTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBytes, 1024);
        if (Etcd is not null)
        {
            foreach (var endpoint in Etcd.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Port <= 0)
                {
                    throw new ArgumentException($"--etcd entry '{endpoint}' is not an etcd client URL such as http://127.0.0.1:2379.", nameof(Etcd));
                }
            }

            if (!EtcdPrefix.StartsWith('/') || EtcdPrefix.Trim('/').Length == 0)
            {
                throw new ArgumentException($"--etcd-prefix '{EtcdPrefix}' must start with '/' and name something (such as /cohort/prod).", nameof(EtcdPrefix));
            }

            if (LeaseTtl < TimeSpan.FromSeconds(2) || LeaseTtl > TimeSpan.FromMinutes(5) || LeaseTtl.Ticks % TimeSpan.TicksPerSecond != 0)
            {
                throw new ArgumentException($"--lease-ttl must be whole seconds from 2 s to 5 min (got {LeaseTtl.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s).", nameof(LeaseTtl));
            }
        }
        foreach (var resource in Resources)
        {
            Engines.EngineFactory.KindOf(resource);
        }

        foreach (var (resource, copies) in Replicated)
        {
            if (Etcd is null)
            {
                throw new ArgumentException($"--replicated {resource}={copies} needs the etcd backend (--etcd): the configurations of replicated resources live there.", nameof(Replicated));
            }

            if (resource.StartsWith(ResourceNames.PgPrefix, StringComparison.Ordinal) || resource.Contains(Cluster.ClusterAgent.NodeSeparator, StringComparison.Ordinal) || resource == ResourceNames.DefaultSql)
            {
                throw new ArgumentException($"--replicated {resource}: only a named embedded resource (kv:, queue:, resource:, sql:) is replicated by Cohort.", nameof(Replicated));
            }

            if (!Engines.EngineFactory.Kinds.Contains(Engines.EngineFactory.KindOf(resource)))
            {
                throw new ArgumentException($"--replicated {resource}: no such engine; use {string.Join(", ", Engines.EngineFactory.Kinds.Select(k => k + ":<name>"))}.", nameof(Replicated));
            }

            if (copies is < 2 or > 9)
            {
                throw new ArgumentException($"--replicated {resource}={copies}: a replicated resource has 2 to 9 copies.", nameof(Replicated));
            }

            if (Resources.Contains(resource, StringComparer.Ordinal))
            {
                throw new ArgumentException($"{resource} is given both as --resource (one copy, on this node) and as --replicated.", nameof(Replicated));
            }
        }

        // A DSN that cannot work is refused now, in one line, rather than when the node opens pg:default.
        if (Dsn is not null)
        {
            _ = Postgres.PostgresDsn.ToConnectionString(Dsn);
        }

        foreach (var (resource, dsn) in ResourceDsns)
        {
            try
            {
                _ = Postgres.PostgresDsn.ToConnectionString(dsn);
            }
            catch (Core.CohortException e)
            {
                throw new Core.CohortException(e.Code, $"{resource}: {e.Message}", isTransient: false, e);
            }
        }
    }
}
