using Cohort.Coordination;
using Cohort.Core;
using Cohort.Engines;
using Cohort.Postgres;
using Cohort.Protocol;
using Cohort.Storage.Wal;
using Microsoft.Extensions.Logging;

namespace Cohort.Server.Services;

/// <summary>
/// The node's local resources, embedded engines and PostgreSQL databases alike: the one place they are opened (at
/// start-up and by <c>POST /v1/resources</c>), looked up and counted. Every engine opened is handed to the node's
/// <see cref="ParticipantHost"/>, which owns it from then on (and disposes it with itself).
/// </summary>
/// <param name="options">The node's settings: where resources live and which to open.</param>
/// <param name="host">The participant host every engine opened here goes to.</param>
/// <param name="loggers">The engines' loggers.</param>
internal sealed partial class ResourceRegistry(NodeOptions options, ParticipantHost host, ILoggerFactory loggers)
{
    private const string ResourcesDirectory = "resources";

    private readonly Dictionary<string, ITransactionalEngine> _engines = new(StringComparer.Ordinal);

    /// <summary>Raised (under the registry's lock) after a resource was added, so placement can be announced.</summary>
    public event Action? Changed;

    /// <summary>How many resources the node hosts.</summary>
    public int Count
    {
        get
        {
            lock (_engines)
            {
                return _engines.Count;
            }
        }
    }

    /// <summary>This node's default shard: <c>pg:default</c> when it hosts one, else <c>sql:default</c>.</summary>
    public string LocalDefaultShard
    {
        get
        {
            lock (_engines)
            {
                return _engines.ContainsKey(ResourceNames.DefaultPg) ? ResourceNames.DefaultPg : ResourceNames.DefaultSql;
            }
        }
    }

    /// <summary>The default shard of a node hosting <paramref name="resources"/>: the seed payload runs there.</summary>
    public static string DefaultShardOf(IReadOnlyList<string> resources) =>
        resources.Contains(ResourceNames.DefaultPg, StringComparer.Ordinal) ? ResourceNames.DefaultPg : ResourceNames.DefaultSql;

    /// <summary>The engine of the local resource <paramref name="resource"/> (a name without <c>@node</c>), or null.</summary>
    public ITransactionalEngine? Find(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_engines)
        {
            return _engines.GetValueOrDefault(resource);
        }
    }

    /// <summary>The resources this node hosts, in name order.</summary>
    public IReadOnlyList<string> Names()
    {
        lock (_engines)
        {
            return [.. _engines.Keys.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Each resource with its transactions not yet finished, in name order.</summary>
    public IReadOnlyList<(string Resource, int Active)> ActiveTransactions()
    {
        lock (_engines)
        {
            return [.. _engines.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, ActiveCount(e.Value)))];
        }
    }

    /// <summary>Transactions not yet finished on this node's embedded engines (what heartbeats report as in flight).</summary>
    public int InFlight()
    {
        lock (_engines)
        {
            return _engines.Values.OfType<IEmbeddedEngine>().Sum(e => e.ActiveTransactionCount);
        }
    }

    /// <summary>
    /// Opens the resources the node starts with: <c>sql:default</c>, those configured, those created in earlier runs
    /// (remembered by their data directories), and the PostgreSQL ones configured or remembered.
    /// </summary>
    public async Task OpenAllAsync(CancellationToken cancellationToken)
    {
        var resources = new SortedSet<string>(options.Resources, StringComparer.Ordinal) { ResourceNames.DefaultSql };
        var existing = Path.Combine(options.DataDirectory, ResourcesDirectory);
        if (Directory.Exists(existing))
        {
            foreach (var dir in Directory.EnumerateDirectories(existing))
            {
                var name = Path.GetFileName(dir);
                var colon = name.IndexOf('_', StringComparison.Ordinal);
                if (colon > 0)
                {
                    resources.Add(name[..colon] + ":" + name[(colon + 1)..]);
                }
            }
        }

        foreach (var resource in resources)
        {
            OpenEmbedded(resource);
        }

        await OpenPostgresResourcesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens (or returns) a resource on this node. A <c>pg:*</c> resource needs a DSN: <paramref name="dsn"/>, else the
    /// configured or remembered one (<c>pg:default</c>: <see cref="NodeOptions.Dsn"/>); other kinds take none.
    /// </summary>
    public async Task<ITransactionalEngine> OpenAsync(string resource, string? dsn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (!resource.StartsWith(ResourceNames.PgPrefix, StringComparison.Ordinal))
        {
            return dsn is null
                ? OpenEmbedded(resource)
                : throw new CohortException(ErrorCodes.BadOperation, $"'dsn' is for PostgreSQL resources (pg:*), not '{resource}'.", isTransient: false);
        }

        return await OpenPostgresAsync(resource, dsn, cancellationToken).ConfigureAwait(false);
    }

    private ITransactionalEngine OpenEmbedded(string resource)
    {
        lock (_engines)
        {
            if (_engines.TryGetValue(resource, out var existing))
            {
                return existing;
            }

            var engine = EngineFactory.Open(resource, new EngineOptions
            {
                DataDirectory = Path.Combine(options.DataDirectory, ResourcesDirectory, resource.Replace(':', '_')),
                Durability = options.Fsync ? DurabilityMode.Fsync : DurabilityMode.None,
                OnStorageFailure = FailStop.On(loggers.CreateLogger("Cohort.Engines"), $"log of {resource}"),
            }, loggers.CreateLogger("Cohort.Engines"));
            AddLocked(resource, engine);
            return engine;
        }
    }

    /// <summary>Why <paramref name="resource"/> is not hosted here (for a replicated one, a transient <c>unavailable</c>).</summary>
    public CohortException NotHosted(string resource) =>
        host.Unhosted?.Invoke(resource) ?? new CohortException(ErrorCodes.UnknownResource, $"Resource '{resource}' is not hosted on {options.Address}.", isTransient: false);

    /// <summary>Hosts the engine of a replicated resource this node has become the primary of.</summary>
    public void AddReplicated(IEmbeddedEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        lock (_engines)
        {
            if (_engines.ContainsKey(engine.Name))
            {
                throw new InvalidOperationException($"Resource '{engine.Name}' is hosted here already.");
            }

            AddLocked(engine.Name, engine);
        }
    }

    /// <summary>Stops hosting a replicated resource's engine (its primary stepped down); the caller disposes it.</summary>
    public void RemoveReplicated(IEmbeddedEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        lock (_engines)
        {
            if (_engines.TryGetValue(engine.Name, out var hosted) && hosted == engine)
            {
                _engines.Remove(engine.Name);
                host.RemoveEngine(engine);
                Changed?.Invoke();
            }
        }
    }

    // Called with the lock held: the host and the placement learn of the engine before anyone else can find it.
    private void AddLocked(string resource, ITransactionalEngine engine)
    {
        _engines[resource] = engine;
        host.AddEngine(engine);
        Changed?.Invoke();
    }

    private static int ActiveCount(ITransactionalEngine engine) => engine switch
    {
        IEmbeddedEngine embedded => embedded.ActiveTransactionCount,
        PostgresEngine postgres => postgres.ActiveTransactionCount,
        _ => 0,
    };
}
