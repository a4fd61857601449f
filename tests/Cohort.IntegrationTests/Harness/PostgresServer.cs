using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Cohort.IntegrationTests.Harness;

/// <summary>
/// A real PostgreSQL server for tests: <c>initdb</c> in a temp directory, <c>max_prepared_transactions = 64</c>, listening
/// on 127.0.0.1 on a free port, started with <c>pg_ctl start -w</c> and stopped with <c>pg_ctl stop -m fast</c> (or by
/// killing the postmaster whose pid it started). PostgreSQL refuses to run as root, so when the tests run as root the
/// server runs as the <c>postgres</c> OS user (<c>runuser -u postgres --</c>) and owns its temp directory. Binaries come
/// from <c>$COHORT_PG_BIN</c> or <c>/usr/lib/postgresql/&lt;version&gt;/bin</c> (15 preferred).
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);
    private readonly string _bin;
    private readonly string _root;
    private readonly bool _asPostgresUser;
    private int _createdDatabases;

    private PostgresServer(string bin, string root, int port, bool asPostgresUser)
    {
        _bin = bin;
        _root = root;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The data directory.</summary>
    public string DataDirectory => Path.Combine(_root, "data");

    /// <summary>The server log.</summary>
    public string LogFile => Path.Combine(_root, "server.log");

    /// <summary>The postmaster's process id while it runs, read from <c>postmaster.pid</c>.</summary>
    public int? PostmasterPid
    {
        get
        {
            var file = Path.Combine(DataDirectory, "postmaster.pid");
            try
            {
                var first = File.ReadLines(file).FirstOrDefault();
                return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>Finds the binaries, runs initdb and starts the server.</summary>
    /// <param name="fsync">Whether the server fsyncs (on by default: durability is what the tests are about).</param>
    /// <param name="maxPreparedTransactions">The server's <c>max_prepared_transactions</c>.</param>
    public static async Task<PostgresServer> StartAsync(bool fsync = true, int maxPreparedTransactions = 64)
    {
        var bin = FindBinaries();
        var root = Path.Combine(Path.GetTempPath(), "cohort-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var asPostgres = Environment.UserName == "root";
        var server = new PostgresServer(bin, root, FreePorts.Take(1)[0], asPostgres);
        try
        {
            if (asPostgres)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", root]);
            }

            await server.RunToolAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
            var settings = string.Join('\n',
                "listen_addresses = '127.0.0.1'",
                $"port = {server.Port.ToString(CultureInfo.InvariantCulture)}",
                $"unix_socket_directories = '{root}'",
                "max_connections = 300",
                $"max_prepared_transactions = {maxPreparedTransactions.ToString(CultureInfo.InvariantCulture)}",
                "shared_buffers = 64MB",
                $"fsync = {(fsync ? "on" : "off")}",
                "log_min_messages = warning",
                string.Empty);
            await File.AppendAllTextAsync(Path.Combine(server.DataDirectory, "postgresql.conf"), settings);
            await server.StartServerAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection string for <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database={database};Timeout=10;Command Timeout=60";

    /// <summary>Creates a fresh database with a unique name starting with <paramref name="prefix"/> and returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "db")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _createdDatabases).ToString(CultureInfo.InvariantCulture)}_{Guid.NewGuid().ToString("N")[..6]}";
        await ExecuteAsync("postgres", $"CREATE DATABASE \"{name}\"");
        return name;
    }

    /// <summary>Runs statements on <paramref name="database"/> (a fresh, unpooled connection).</summary>
    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a query and returns its first column of every row.</summary>
    public async Task<List<object?>> QueryAsync(string database, string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        var rows = new List<object?>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.IsDBNull(0) ? null : reader.GetValue(0));
        }

        return rows;
    }

    /// <summary>Stops the server (fast shutdown: open transactions roll back, prepared ones stay) and starts it again on the same port.</summary>
    public async Task RestartAsync()
    {
        await StopServerAsync();
        NpgsqlConnection.ClearAllPools();
        await StartServerAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopServerAsync();
        }
        finally
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private async Task StartServerAsync()
    {
        await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "start"]);
    }

    private async Task StopServerAsync()
    {
        var pid = PostmasterPid;
        if (pid is null)
        {
            return;
        }

        try
        {
            await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"]);
        }
        catch (InvalidOperationException)
        {
            // pg_ctl could not stop it: kill the postmaster this harness started, by its pid.
            try
            {
                using var process = Process.GetProcessById(pid.Value);
                process.Kill();
                await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
    }

    private Task RunToolAsync(string tool, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_bin, tool);
        return _asPostgresUser
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments])
            : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} did not finish within {CommandTimeout.TotalSeconds:0}s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }

    private static string FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("COHORT_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(Path.Combine(configured, "initdb"))
                ? configured
                : throw new InvalidOperationException($"COHORT_PG_BIN={configured} has no initdb.");
        }

        const string Root = "/usr/lib/postgresql";
        var candidates = Directory.Exists(Root)
            ? Directory.GetDirectories(Root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(c => File.Exists(Path.Combine(c.Dir, "initdb")))
                .OrderByDescending(c => c.Version == 15)
                .ThenByDescending(c => c.Version)
                .ToList()
            : [];
        return candidates.Count > 0
            ? candidates[0].Dir
            : throw new InvalidOperationException(
                "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb). Install them (apt-get install -y postgresql) or set COHORT_PG_BIN to the directory holding initdb and pg_ctl.");
    }
}
