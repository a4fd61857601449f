using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Postgres;
using Cohort.Protocol;
using Microsoft.Extensions.Logging;

namespace Cohort.Server;

/// <content>
/// The node's PostgreSQL resources (<c>pg:*</c>): <c>pg:default</c> when the node has a DSN (<c>--dsn</c> or
/// <c>POSTGRES_DSN</c>), others from <see cref="NodeOptions.ResourceDsns"/> or <c>POST /v1/resources</c> with a
/// <c>dsn</c>. Their DSNs are kept in <c>postgres-resources.json</c> in the data directory (mode 0600: a DSN may hold
/// a password) so a restarted node reopens them and resolves their prepared transactions.
/// </content>
public sealed partial class CohortNode
{
    private const string DsnFileName = "postgres-resources.json";

    private readonly Dictionary<string, PostgresEngine> _postgres = new(StringComparer.Ordinal);

    /// <summary>The PostgreSQL resources this node hosts.</summary>
    internal IReadOnlyDictionary<string, PostgresEngine> PostgresEngines
    {
        get
        {
            lock (_postgres)
            {
                return _postgres.ToImmutableDictionary(StringComparer.Ordinal);
            }
        }
    }

    /// <summary>This node's default shard: <c>pg:default</c> when it hosts one, else <c>sql:default</c>.</summary>
    internal string LocalDefaultShard
    {
        get
        {
            lock (_postgres)
            {
                return _postgres.ContainsKey(ResourceNames.DefaultPg) ? ResourceNames.DefaultPg : ResourceNames.DefaultSql;
            }
        }
    }

    /// <summary>The default shard of a node hosting <paramref name="resources"/>: the seed payload runs there.</summary>
    internal static string DefaultShardOf(IReadOnlyList<string> resources) =>
        resources.Contains(ResourceNames.DefaultPg, StringComparer.Ordinal) ? ResourceNames.DefaultPg : ResourceNames.DefaultSql;

    /// <summary>
    /// Opens (or returns) a resource on this node. A <c>pg:*</c> resource needs a DSN: <paramref name="dsn"/>, else the
    /// configured or remembered one (<c>pg:default</c>: <see cref="NodeOptions.Dsn"/>); other kinds take none.
    /// </summary>
    internal async Task<ITransactionalEngine> OpenResourceAsync(string resource, string? dsn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        if (!resource.StartsWith(ResourceNames.PgPrefix, StringComparison.Ordinal))
        {
            return dsn is null
                ? OpenResource(resource)
                : throw new CohortException(ErrorCodes.BadOperation, $"'dsn' is for PostgreSQL resources (pg:*), not '{resource}'.", isTransient: false);
        }

        lock (_postgres)
        {
            if (_postgres.TryGetValue(resource, out var existing))
            {
                return existing;
            }
        }

        var stored = LoadDsns();
        dsn ??= Options.ResourceDsns.GetValueOrDefault(resource)
            ?? stored.GetValueOrDefault(resource)
            ?? (resource == ResourceNames.DefaultPg ? Options.Dsn : null)
            ?? throw new CohortException(ErrorCodes.BadOperation, $"Resource '{resource}' is a PostgreSQL database: give its connection string as 'dsn'.", isTransient: false);
        var engine = await PostgresEngine.OpenAsync(
            resource,
            new PostgresOptions
            {
                ConnectionString = dsn,

                // Every node has its own pg:default, and several may share one PostgreSQL server, whose gids are server-wide.
                GlobalName = resource == ResourceNames.DefaultPg ? $"{resource}@{Address}" : resource,
            },
            Loggers.CreateLogger("Cohort.Postgres"),
            cancellationToken).ConfigureAwait(false);
        lock (_postgres)
        {
            if (_postgres.TryGetValue(resource, out var winner))
            {
                // Opened concurrently by another request: keep the first.
                _ = engine.DisposeAsync().AsTask();
                return winner;
            }

            _postgres[resource] = engine;
            Host.AddEngine(engine);
            Cluster.ResourcesChanged();
        }

        if (stored.GetValueOrDefault(resource) != dsn)
        {
            stored[resource] = dsn;
            SaveDsns(stored);
        }

        return engine;
    }

    // At start-up: the configured pg resources and those remembered from earlier runs.
    private async Task OpenPostgresResourcesAsync(CancellationToken cancellationToken)
    {
        var wanted = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (resource, dsn) in LoadDsns())
        {
            wanted[resource] = null;
        }

        foreach (var (resource, dsn) in Options.ResourceDsns)
        {
            wanted[resource] = dsn;
        }

        if (Options.Dsn is { } defaultDsn)
        {
            wanted[ResourceNames.DefaultPg] = defaultDsn;
        }

        foreach (var (resource, dsn) in wanted)
        {
            await OpenResourceAsync(resource, dsn, cancellationToken).ConfigureAwait(false);
        }
    }

    private string DsnFile => Path.Combine(Options.DataDirectory, DsnFileName);

    private Dictionary<string, string> LoadDsns()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(DsnFile))
        {
            return result;
        }

        var stored = ValueJson.Parse(File.ReadAllText(DsnFile));
        if (stored.Kind == ValueKind.Map)
        {
            foreach (var (resource, dsn) in stored.AsMap())
            {
                if (dsn.Kind == ValueKind.String)
                {
                    result[resource] = dsn.AsString();
                }
            }
        }

        return result;
    }

    // Written to a new file readable by the owner only (0600), flushed, then renamed over the old one.
    private void SaveDsns(Dictionary<string, string> dsns)
    {
        var temp = DsnFile + ".tmp";
        File.Delete(temp);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            var json = ValueJson.Serialize(Value.Map([.. dsns.Select(kv => (kv.Key, Value.From(kv.Value)))]));
            stream.Write(System.Text.Encoding.UTF8.GetBytes(json));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, DsnFile, overwrite: true);
    }
}
