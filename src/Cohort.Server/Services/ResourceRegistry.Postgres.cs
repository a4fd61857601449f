using Cohort.Core;
using Cohort.Postgres;
using Cohort.Protocol;
using Microsoft.Extensions.Logging;

namespace Cohort.Server.Services;

/// <content>
/// The node's PostgreSQL resources (<c>pg:*</c>): <c>pg:default</c> when the node has a DSN (<c>--dsn</c> or
/// <c>POSTGRES_DSN</c>), others from <see cref="NodeOptions.ResourceDsns"/> or <c>POST /v1/resources</c> with a
/// <c>dsn</c>. Their DSNs are kept in <c>postgres-resources.json</c> in the data directory (mode 0600: a DSN may hold
/// a password) so a restarted node reopens them and resolves their prepared transactions.
/// </content>
internal sealed partial class ResourceRegistry
{
    private const string DsnFileName = "postgres-resources.json";

    private string DsnFile => Path.Combine(options.DataDirectory, DsnFileName);

    private async Task<ITransactionalEngine> OpenPostgresAsync(string resource, string? dsn, CancellationToken cancellationToken)
    {
        lock (_engines)
        {
            if (_engines.TryGetValue(resource, out var existing))
            {
                return existing;
            }
        }

        var stored = LoadDsns();
        dsn ??= options.ResourceDsns.GetValueOrDefault(resource)
            ?? stored.GetValueOrDefault(resource)
            ?? (resource == ResourceNames.DefaultPg ? options.Dsn : null)
            ?? throw new CohortException(ErrorCodes.BadOperation, $"Resource '{resource}' is a PostgreSQL database: give its connection string as 'dsn'.", isTransient: false);
        var engine = await PostgresEngine.OpenAsync(
            resource,
            new PostgresOptions
            {
                ConnectionString = dsn,

                // Every node has its own pg:default, and several may share one PostgreSQL server, whose gids are server-wide.
                GlobalName = resource == ResourceNames.DefaultPg ? $"{resource}@{options.Address}" : resource,
            },
            loggers.CreateLogger("Cohort.Postgres"),
            cancellationToken).ConfigureAwait(false);
        lock (_engines)
        {
            if (_engines.TryGetValue(resource, out var winner))
            {
                // Opened concurrently by another request: keep the first.
                _ = engine.DisposeAsync().AsTask();
                return winner;
            }

            AddLocked(resource, engine);
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
        foreach (var resource in LoadDsns().Keys)
        {
            wanted[resource] = null;
        }

        foreach (var (resource, dsn) in options.ResourceDsns)
        {
            wanted[resource] = dsn;
        }

        if (options.Dsn is { } defaultDsn)
        {
            wanted[ResourceNames.DefaultPg] = defaultDsn;
        }

        foreach (var (resource, dsn) in wanted)
        {
            await OpenAsync(resource, dsn, cancellationToken).ConfigureAwait(false);
        }
    }

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
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, fileOptions))
        {
            var json = ValueJson.Serialize(Value.Map([.. dsns.Select(kv => (kv.Key, Value.From(kv.Value)))]));
            stream.Write(System.Text.Encoding.UTF8.GetBytes(json));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, DsnFile, overwrite: true);
    }
}
