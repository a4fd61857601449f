using System.Collections.Immutable;
using Cohort.Engines;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>Cohort's SQL engine holding <see cref="DifferentialDataset"/>; queries run as lock-free snapshot reads.</summary>
internal sealed class CohortSqlRunner : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly IEmbeddedEngine _engine;

    private CohortSqlRunner(IEmbeddedEngine engine) => _engine = engine;

    public static async Task<CohortSqlRunner> OpenAsync(string directory)
    {
        var engine = EngineFactory.Open("sql:diff", new EngineOptions { DataDirectory = directory });
        var runner = new CohortSqlRunner(engine);
        try
        {
            foreach (var table in DifferentialDataset.Tables)
            {
                foreach (var statement in table.Ddl(sqlite: false).Concat(table.Inserts()))
                {
                    await runner.ExecuteAsync(statement);
                }
            }
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }

        return runner;
    }

    /// <summary>Runs one statement in its own read-write transaction, committed in one phase.</summary>
    public async Task ExecuteAsync(string sql)
    {
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow + Deadline);
        try
        {
            await _engine.ApplyAsync(tx, SqlOperation(sql, []), CancellationToken.None);
            await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), CancellationToken.None);
        }
        catch
        {
            await _engine.AbortAsync(tx.Id, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Runs the query as a lock-free snapshot read.</summary>
    public async Task<QueryResult> QueryAsync(DifferentialQuery query)
    {
        try
        {
            return ToResult(await _engine.ReadAsync(_engine.Clock.Now(), SqlOperation(query.Sql, query.Parameters), CancellationToken.None));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Any failure, a CohortException or an engine bug, is reported with the query that caused it.
            return QueryResult.Failed(e);
        }
    }

    /// <summary>Runs the query in a read-write transaction (taking its predicate locks), then commits it.</summary>
    public async Task<QueryResult> QueryInTransactionAsync(DifferentialQuery query)
    {
        var tx = new TransactionContext(TxId.NewId(), DateTimeOffset.UtcNow + Deadline);
        try
        {
            var result = await _engine.ApplyAsync(tx, SqlOperation(query.Sql, query.Parameters), CancellationToken.None);
            await _engine.CommitOnePhaseAsync(tx.Id, _engine.Clock.Now(), CancellationToken.None);
            return ToResult(result);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await _engine.AbortAsync(tx.Id, CancellationToken.None);
            return QueryResult.Failed(e);
        }
    }

    public ValueTask DisposeAsync() => _engine.DisposeAsync();

    private static QueryResult ToResult(Value result)
    {
        if (!result.TryGetField("columns", out var columns) || !result.TryGetField("rows", out var rows))
        {
            return new QueryResult([], [], $"the result has no columns or rows: {result}");
        }

        return new QueryResult(
            [.. columns.AsList().Select(c => c.AsString())],
            [.. rows.AsList().Select(r => r.AsList())],
            null);
    }

    private static Operation SqlOperation(string sql, ImmutableArray<Value> parameters) =>
        Operation.Create("sql", ("sql", Value.From(sql)), ("params", Value.List(parameters.IsDefault ? [] : parameters)));
}
