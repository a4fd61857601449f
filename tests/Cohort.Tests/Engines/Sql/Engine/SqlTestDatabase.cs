using Cohort.Engines;
using Cohort.Engines.Sql;

namespace Cohort.Tests.Engines.Sql.Engine;

/// <summary>A SQL engine in a temporary directory with helpers to run statements in transactions and snapshot reads.</summary>
internal sealed class SqlTestDatabase : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly bool _ownsDirectory;

    public SqlTestDatabase(TempDirectory? directory = null)
    {
        _ownsDirectory = directory is null;
        _directory = directory ?? new TempDirectory();
        Engine = SqlEngine.Open("sql:test", new EngineOptions { DataDirectory = _directory.Path, MaintenanceInterval = Timeout.InfiniteTimeSpan });
    }

    public SqlEngine Engine { get; private set; }

    public string DataDirectory => _directory.Path;

    public static Operation Sql(string text, params Value[] parameters) =>
        Operation.Create("sql", ("sql", text), ("params", Value.List(parameters)));

    public static TransactionContext Begin() => new(TxId.NewId(), DateTimeOffset.UtcNow.AddSeconds(30));

    /// <summary>Runs the statements in one transaction and commits it; returns the last result.</summary>
    public async Task<SqlResult> ExecAsync(string text, params Value[] parameters)
    {
        var tx = Begin();
        Value result;
        try
        {
            result = await Engine.ApplyAsync(tx, Sql(text, parameters), default);
        }
        catch
        {
            await Engine.AbortAsync(tx.Id, default);
            throw;
        }

        await Engine.CommitOnePhaseAsync(tx.Id, Engine.Clock.Now(), default);
        return new SqlResult(result);
    }

    /// <summary>Runs a script of statements separated by semicolons, each in its own transaction.</summary>
    public async Task ScriptAsync(string script)
    {
        foreach (var statement in script.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await ExecAsync(statement);
        }
    }

    /// <summary>A lock-free snapshot read at the current time.</summary>
    public async Task<SqlResult> QueryAsync(string text, params Value[] parameters) =>
        new(await Engine.ReadAsync(Engine.Clock.Now(), Sql(text, parameters), default));

    /// <summary>Statement in an open transaction.</summary>
    public async Task<SqlResult> InAsync(TransactionContext tx, string text, params Value[] parameters) =>
        new(await Engine.ApplyAsync(tx, Sql(text, parameters), default));

    public async Task RestartAsync()
    {
        await Engine.DisposeAsync();
        Engine = SqlEngine.Open("sql:test", new EngineOptions { DataDirectory = _directory.Path, MaintenanceInterval = Timeout.InfiniteTimeSpan });
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        if (_ownsDirectory)
        {
            _directory.Dispose();
        }
    }
}
