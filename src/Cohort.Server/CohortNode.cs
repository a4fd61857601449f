using System.Net;
using System.Net.Sockets;
using Cohort.Cluster;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Core.Diagnostics;
using Cohort.Etcd;
using Cohort.Protocol;
using Cohort.Server.Endpoints;
using Cohort.Server.Replication;
using Cohort.Server.Services;
using Cohort.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cohort.Server;

/// <summary>
/// One Cohort node: its engines behind a participant host, the coordinator and decision log when it is the master,
/// membership, and the HTTP API (seed-compatible endpoints, <c>/v1/…</c>, and the internal protocol) on Kestrel.
/// </summary>
public sealed partial class CohortNode : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILoggerFactory _loggers;

    // Heartbeats travel on their own connections, never queued behind transaction traffic.
    private readonly NodeClient _heartbeatClient;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _background;
    private Task _configured = Task.CompletedTask;
    private HttpParticipantTransport? _transport;
    private NodeSockets? _sockets;
    private readonly ResourceRegistry _resources;
    private IDecisionLog? _decisionLog;

    // The etcd backend (--etcd): the client, shared by the leadership campaign and the decision log; null when embedded.
    private readonly dotnet_etcd.EtcdClient? _etcd;
    private readonly EtcdLeadership? _leadership;
    private readonly EtcdClusterDirectory? _directory;
    private readonly EtcdResourceConfigurations? _configurations;
    private Task _adopting = Task.CompletedTask;

    // The node's OpenTelemetry instruments (meter "Cohort"), once the coordinator exists.
    private NodeInstruments? _instruments;

    private CohortNode(NodeOptions options, NodeTls? tls, WebApplication app, ILoggerFactory loggers)
    {
        Options = options;
        Tls = tls;
        _app = app;
        _loggers = loggers;
        Logger = loggers.CreateLogger("Cohort.Server");
        Client = new NodeClient(options.AuthToken, TimeSpan.FromSeconds(30), routes: options.PeerRoutes, tls: tls?.Trust);
        _heartbeatClient = new NodeClient(options.AuthToken, TimeSpan.FromSeconds(30), routes: options.PeerRoutes, tls: tls?.Trust);

        // Requests passed on to the master (Forward): one client for all (one per request would exhaust sockets); the
        // timeout covers the longest transaction.
        ForwardHttp = new HttpClient(NodeClient.CreateHandler(tls?.Trust, int.MaxValue)) { Timeout = TimeSpan.FromMinutes(11) };
        Time = TimeProvider.System;

        // The decision source reaches the coordinator and the master lazily: both exist before the host serves anything.
        if (options.Etcd is { } endpoints)
        {
            _etcd = EtcdClientFactory.Create(endpoints);
            _leadership = new EtcdLeadership(
                _etcd,
                new EtcdLeadershipOptions { KeyPrefix = options.EtcdPrefix, Candidate = options.Address, LeaseTtl = options.LeaseTtl },
                loggers.CreateLogger("Cohort.Etcd.Leadership"),
                Time);
            _directory = new EtcdClusterDirectory(
                _etcd,
                new EtcdDirectoryOptions { KeyPrefix = options.EtcdPrefix, Node = options.Address },
                loggers.CreateLogger("Cohort.Etcd.Directory"),
                Time);
            _configurations = new EtcdResourceConfigurations(
                _etcd,
                new EtcdResourceConfigurationsOptions { KeyPrefix = options.EtcdPrefix, Node = options.Address },
                loggers.CreateLogger("Cohort.Etcd.Configurations"),
                Time);
        }

        var shared = _etcd is not null;
        Host = new ParticipantHost(
            new ParticipantHostOptions { NodeId = options.Address },
            new ClusterDecisionSource(options.Address, Client, () => Coordinator, () => Cluster?.Master, shared),
            Time,
            loggers.CreateLogger("Cohort.Coordination.Participant"));
        _resources = new ResourceRegistry(options, Host, loggers);
        Cluster = new ClusterAgent(
            new ClusterOptions
            {
                Self = options.Address,
                Seeds = options.Nodes,
                Heartbeat = options.Heartbeat,
                Misses = options.Misses,

                // start-master is the seed's "master candidate": it need not wait for peers before it may lead.
                StartupGrace = options.IsMaster ? options.Heartbeat : options.Heartbeat * options.Misses,
                DataDirectory = options.DataDirectory,
                Fsync = options.Fsync,
                Election = _leadership,
                Directory = _directory,
                Primaries = _configurations is { } configurations
                    ? () => configurations.Current.Select(c => KeyValuePair.Create(c.Key, c.Value.Primary))
                    : null,
                Terms = _configurations is { } known
                    ? resource => known.Current.TryGetValue(resource, out var config) ? config.Term : 0
                    : null,
            },
            new HttpClusterTransport(_heartbeatClient),
            _resources.Names,
            _resources.InFlight,
            Time,
            loggers.CreateLogger("Cohort.Cluster"));
        _resources.Changed += Cluster.ResourcesChanged;
    }

    /// <summary>The node's settings.</summary>
    public NodeOptions Options { get; }

    /// <summary>The address the node serves on.</summary>
    public string Address => Options.Address;

    /// <summary>Whether this node is the elected master now (the one that coordinates new transactions).</summary>
    public bool IsMaster => Cluster.IsMaster;

    internal ClusterAgent Cluster { get; }

    /// <summary>Node-to-node calls of the API (forwarded reads, resource creation, transaction lookups).</summary>
    internal NodeClient Client { get; }

    /// <summary>The node's certificate and whom it trusts as other nodes; null when it serves plain http.</summary>
    internal NodeTls? Tls { get; }

    /// <summary>Whether the nodes are reached over https and wss.</summary>
    internal bool Secure => Tls is not null;

    /// <summary>The HTTP client of requests passed on to the master as they came (<c>Forward</c>).</summary>
    internal HttpClient ForwardHttp { get; }

    internal ILogger Logger { get; }

    internal TimeProvider Time { get; }

    /// <summary>The node's own HTTP requests, counted and timed for <c>/metrics</c>.</summary>
    internal HttpMetrics HttpMetrics { get; } = new();

    /// <summary>The participant side: serves the protocol's messages (<c>/internal/…</c>) for the local resources.</summary>
    internal ParticipantHost Host { get; }

    /// <summary>This node's part in the replicated resources (etcd backend only).</summary>
    internal ReplicatedResources? Replication { get; private set; }

    /// <summary>This node's coordinator: it begins transactions while the node is master, and answers for those it began.</summary>
    internal Coordinator Coordinator { get; private set; } = null!;

    /// <summary>Opens the engines, recovers, starts serving, and (for a plain node) joins the master.</summary>
    public static async Task<CohortNode> StartAsync(NodeOptions options, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var refusals = new TlsRefusalLog(TimeProvider.System);
        var tls = NodeTls.Load(options, TimeProvider.System, refusals.Report);
        Directory.CreateDirectory(options.DataDirectory);
        // No configuration file is read, so nothing is watched: by default the host watches its content root (the current
        // directory) recursively for appsettings changes, and a data directory below it made every WAL write, every
        // snapshot and (for PostgreSQL run from there) every database write an event this process handled.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        if (options.OtlpEndpoint is { } otlp)
        {
            // The node's spans (its requests, the coordinator's rounds, the participants' steps) and its metrics (meter
            // "Cohort") to an OTLP collector: over HTTP a path ending in /v1/traces sends the metrics to /v1/metrics.
            var http = otlp.AbsolutePath.Length > 1;
            var metrics = http && otlp.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal)
                ? new UriBuilder(otlp) { Path = otlp.AbsolutePath[..^"traces".Length] + "metrics" }.Uri
                : otlp;
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService("cohort-node", serviceInstanceId: options.Address))
                .WithTracing(tracing => tracing.AddSource(CohortTelemetry.SourceName).AddOtlpExporter(exporter =>
                {
                    exporter.Endpoint = otlp;
                    exporter.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                }))
                .WithMetrics(meters => meters.AddMeter(CohortTelemetry.SourceName).AddOtlpExporter((exporter, reader) =>
                {
                    exporter.Endpoint = metrics;
                    exporter.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;

                    // Every 15 s (the SDK's default is a minute), unless OTEL_METRIC_EXPORT_INTERVAL says otherwise.
                    if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_METRIC_EXPORT_INTERVAL")))
                    {
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 15_000;
                    }
                }));
        }

        if (loggers is null)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
        }

        // Per-request framework logs would drown the protocol's own.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        // The hosting layer starts an Activity for every request whenever its logger is enabled at any level, for log
        // scopes no one reads here; it logs nothing else above Warning (failures are logged by Kestrel and by us).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        var (host, port) = NodeAddress.TryParse(options.Address, out var ep) ? ep : throw new ArgumentException("bad address");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.AddServerHeader = false;
            // With TLS, https and wss only (a plain request on the port gets no answer).
            void Serve(ListenOptions listen)
            {
                if (tls is not null)
                {
                    listen.Use(PlainHttpRefusal.For(options.Address));
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = tls.Certificate,
                        ServerCertificateChain = tls.Chain,

                        // Nodes present theirs (PeerCertificates requires one on the node-to-node endpoints); clients,
                        // the CLI and browsers need none. One presented must chain to the CA.
                        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                        ClientCertificateValidation = (certificate, _, _) => tls.Trust.CheckClient(certificate) is null,
                    });
                }
            }

            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                // IPv4 and IPv6 loopback, whichever the machine has.
                kestrel.ListenLocalhost(port, Serve);
                return;
            }

            foreach (var ip in ListenAddresses(host))
            {
                kestrel.Listen(ip, port, Serve);
            }
        });
        var app = builder.Build();
        var node = new CohortNode(options, tls, app, loggers ?? app.Services.GetRequiredService<ILoggerFactory>());
        refusals.Logger = node.Logger;
        try
        {
            await node.OpenAsync(cancellationToken).ConfigureAwait(false);
            HttpMetricsMiddleware.Use(app, node.HttpMetrics, node.Time);
            TracingMiddleware.Use(app, node);
            PeerCertificates.Use(app, node);
            NodeMiddleware.Use(app, node);
            app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = MessageFrames.KeepAliveInterval, KeepAliveTimeout = MessageFrames.KeepAliveTimeout });
            var services = node.CreateServices();
            ClusterEndpoints.Map(app, node);
            SeedEndpoints.Map(app, node, services);
            ApiEndpoints.Map(app, node, services);
            InternalEndpoints.Map(app, node, services);
            DashboardEndpoints.Map(app, node, services);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            node._background = Task.Run(() => node.RunBackgroundAsync(services, node._stopping.Token), CancellationToken.None);
            node._configured = options.Replicated.Count > 0
                ? Task.Run(() => node.CreateConfiguredAsync(services.Resources, node._stopping.Token), CancellationToken.None)
                : Task.CompletedTask;
            Log.Started(node.Logger, options.Address, string.Join(",", node.Cluster.Members.Select(m => m.Address)), options.DataDirectory, node._resources.Count);
            var exposed = ListenAddresses(host).Where(ip => !IPAddress.IsLoopback(ip)).ToList();
            if (options.AuthToken is null && exposed.Count > 0)
            {
                Log.ListeningWithoutToken(node.Logger, string.Join(", ", exposed));
            }
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The interfaces a node with address host <paramref name="host"/> listens on: that IP when it is one (<c>0.0.0.0</c>
    /// or <c>::</c> for every interface, asked for by name), loopback for <c>localhost</c>, every interface for <c>*</c>,
    /// and otherwise the addresses the name resolves to — never more than the address names.
    /// </summary>
    internal static IReadOnlyList<IPAddress> ListenAddresses(string host)
    {
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(bare, out var ip))
        {
            return [ip];
        }

        if (bare is "*" or "+")
        {
            return [Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any];
        }

        if (string.Equals(bare, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return Socket.OSSupportsIPv6 ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : [IPAddress.Loopback];
        }

        var resolved = Dns.GetHostAddresses(bare);
        return resolved.Length > 0 ? resolved.Distinct().ToList() : throw new ArgumentException($"--addr host '{host}' resolves to no address.");
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires or the host stops.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        if (_background is not null)
        {
            await _background.ConfigureAwait(false);
        }

        await _configured.ConfigureAwait(false);

        if (_leadership is not null)
        {
            // Resigns at once, so another node leads now rather than a lease TTL later.
            await _leadership.DisposeAsync().ConfigureAwait(false);
        }

        await _adopting.ConfigureAwait(false);
        if (Replication is not null)
        {
            await Replication.DisposeAsync().ConfigureAwait(false);
        }

        if (_configurations is not null)
        {
            await _configurations.DisposeAsync().ConfigureAwait(false);
        }

        if (_directory is not null)
        {
            await _directory.DisposeAsync().ConfigureAwait(false);
        }

        if (Coordinator is not null)
        {
            await Coordinator.DisposeAsync().ConfigureAwait(false);
        }

        if (_transport is not null)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        if (_sockets is not null)
        {
            await _sockets.DisposeAsync().ConfigureAwait(false);
        }

        // The host owns the engines the registry opened and disposes them with itself.
        await Host.DisposeAsync().ConfigureAwait(false);
        if (_decisionLog is not null)
        {
            await _decisionLog.DisposeAsync().ConfigureAwait(false);
        }

        _etcd?.Dispose();
        Client.Dispose();
        _heartbeatClient.Dispose();
        ForwardHttp.Dispose();
        _instruments?.Dispose();
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    // Built once, after the coordinator exists; the endpoints only parse, call these and encode.
    private NodeServices CreateServices() => new(
        _resources,
        new SnapshotReader(Address, Cluster, _resources, Client, Host, Time, Replication is { } replication ? replication.HoldsLease : null),
        new ResourceService(Address, Cluster, _resources, Client, Replication),
        new TransactionDirectory(Address, Cluster, Coordinator, Client),
        new MetricsWriter(Address, Cluster, Coordinator, _resources, Replication, HttpMetrics),
        new StatsSampler(Coordinator, Time));

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        await _resources.OpenAllAsync(cancellationToken).ConfigureAwait(false);
        if (_directory is not null)
        {
            // Membership and placement from etcd before anything is served: this node routes by them from its first request.
            await _directory.StartAsync(cancellationToken).ConfigureAwait(false);
            await Cluster.ClaimLocalResourcesAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_configurations is not null)
        {
            await _configurations.StartAsync(cancellationToken).ConfigureAwait(false);
            Replication = new ReplicatedResources(Options, Cluster, _resources, Client, _configurations, _loggers, Time);
            Host.Unhosted = Replication.Unhosted;
            Host.Admit = Replication.AdmitAsync;
        }

        // Every node keeps a decision log and a coordinator: the master starts new transactions with it, and any
        // node that once was master finishes the decisions its log holds, whoever leads now.
        Host.ObserveEpoch(Cluster.Epoch);
        Cluster.EpochChanged += Host.ObserveEpoch;
        {
            _decisionLog = _etcd is not null
                ? await EtcdDecisionLog.OpenAsync(
                    _etcd,
                    new EtcdDecisionLogOptions { KeyPrefix = Options.EtcdPrefix, Holder = Options.Address },
                    _loggers.CreateLogger("Cohort.Etcd.DecisionLog"),
                    Time,
                    cancellationToken).ConfigureAwait(false)
                : FileDecisionLog.Open(new FileDecisionLogOptions
                {
                    Directory = Path.Combine(Options.DataDirectory, "decisions"),
                    Durability = Options.Fsync ? Cohort.Storage.Wal.DurabilityMode.Fsync : Cohort.Storage.Wal.DurabilityMode.None,
                    OnStorageFailure = FailStop.On(Logger, "decision log"),
                }, _loggers.CreateLogger("Cohort.Coordination.DecisionLog"));
            Coordinator = new Coordinator(
                new CoordinatorOptions
                {
                    NodeId = Options.Address,
                    Leadership = Cluster,
                    Timeout = Options.CoordinatorTimeout,
                    MaxTimeout = TimeSpan.FromTicks(Math.Max(Options.CoordinatorTimeout.Ticks, CoordinatorOptions.DefaultMaxTimeout.Ticks)),
                },
                _transport = new HttpParticipantTransport(
                    Options.MessageSockets ? _sockets = new NodeSockets(Options.AuthToken, TimeSpan.FromSeconds(30), Options.PeerRoutes, Tls?.Trust) : Client, Options.Address, Host),
                Cluster,
                _decisionLog,
                Time,
                _loggers.CreateLogger("Cohort.Coordination.Coordinator"));
        }

        _instruments = new NodeInstruments(Options.Address, Cluster, Coordinator);

        Host.Start();
        var redriven = await Coordinator.RecoverAsync(cancellationToken).ConfigureAwait(false);
        Log.Recovered(Logger, redriven);
        if (Replication is not null)
        {
            // The replicated resources this node is primary of open now (their prepared transactions recovered, as for
            // any engine); those it is a replica of wait for their primary's stream.
            await Replication.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_leadership is not null)
        {
            // Campaign only once the coordinator can answer for what it finds: a new leader takes over every decision
            // in etcd that its predecessors left unfinished.
            Cluster.LeadershipGained += epoch => _adopting = Task.Run(() => AdoptAsync(epoch, _stopping.Token), CancellationToken.None);
            _leadership.Eligible = () => Cluster.IsMember;
            _leadership.Start();
        }
    }

    // A new leader re-drives phase two of every unfinished decision in etcd; retried while it still leads at that epoch.
    private async Task AdoptAsync(long epoch, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2), jitter: 0.5);
        while (!cancellationToken.IsCancellationRequested && _leadership?.HeldEpoch == epoch)
        {
            try
            {
                await Coordinator.AdoptUnfinishedAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (CohortException e) when (e.IsTransient)
            {
                Log.AdoptFailed(Logger, epoch, e.Message);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await Task.Delay(backoff.Next(), Time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
