using Cohort.Core;

namespace Cohort.Client;

/// <summary>
/// Typed statements on a SQL resource: Cohort's embedded SQL engine (<c>sql:…</c>) or a PostgreSQL database
/// (<c>pg:…</c>). Parameters are <c>$1</c>, <c>$2</c>, … (or <c>?</c>).
/// </summary>
public sealed class SqlClient
{
    private readonly IOperationRunner _runner;

    internal SqlClient(IOperationRunner runner, string resource)
    {
        _runner = runner;
        Resource = resource;
    }

    /// <summary>The resource name.</summary>
    public string Resource { get; }

    /// <summary>Runs one statement without parameters (DDL, INSERT/UPDATE/DELETE, SELECT) and returns its columns, rows and affected count.</summary>
    /// <param name="sql">The statement.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    public Task<SqlResult> ExecuteAsync(string sql, CancellationToken cancellationToken = default) => ExecuteAsync(sql, [], cancellationToken);

    /// <summary>Runs one statement with parameters: <c>ExecuteAsync("INSERT INTO t VALUES ($1, $2)", [1, "a"], token)</c>.</summary>
    /// <param name="sql">The statement.</param>
    /// <param name="parameters">Values for <c>$1</c>, <c>$2</c>, … (see <see cref="CohortOps.ToValue"/> for the types taken).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    public async Task<SqlResult> ExecuteAsync(string sql, IReadOnlyList<object?> parameters, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        ArgumentNullException.ThrowIfNull(parameters);
        return SqlResult.FromValue(await _runner.RunAsync(CohortOps.Sql(Resource, sql, [.. parameters]), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Runs a query without parameters and returns its rows.</summary>
    /// <param name="sql">The query.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rows.</returns>
    public Task<IReadOnlyList<SqlRow>> QueryAsync(string sql, CancellationToken cancellationToken = default) => QueryAsync(sql, [], cancellationToken);

    /// <summary>Runs a query with parameters and returns its rows: <c>QueryAsync("SELECT … WHERE id = $1", [7], token)</c>.</summary>
    /// <param name="sql">The query.</param>
    /// <param name="parameters">Values for <c>$1</c>, <c>$2</c>, ….</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The rows.</returns>
    public async Task<IReadOnlyList<SqlRow>> QueryAsync(string sql, IReadOnlyList<object?> parameters, CancellationToken cancellationToken = default) =>
        (await ExecuteAsync(sql, parameters, cancellationToken).ConfigureAwait(false)).Rows;

    /// <summary>Runs a query and maps its rows to <typeparamref name="T"/> by column name (<see cref="ValueMapper"/>).</summary>
    /// <typeparam name="T">A class or record whose constructor parameters or properties name columns, or a scalar for one column.</typeparam>
    /// <param name="sql">The query.</param>
    /// <param name="parameters">Values for <c>$1</c>, <c>$2</c>, … (empty for none).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One object per row.</returns>
    public async Task<IReadOnlyList<T>> QueryAsync<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(ValueMapper.Members)] T>(string sql, IReadOnlyList<object?> parameters, CancellationToken cancellationToken = default) =>
        (await ExecuteAsync(sql, parameters, cancellationToken).ConfigureAwait(false)).As<T>();

    /// <summary>Runs a seed-style payload <c>{"table","operation","values","where"}</c>.</summary>
    /// <param name="payload">The payload.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    public async Task<SqlResult> PayloadAsync(Value payload, CancellationToken cancellationToken = default) =>
        SqlResult.FromValue(await _runner.RunAsync(new CohortOperation(Resource, payload), cancellationToken).ConfigureAwait(false));
}
