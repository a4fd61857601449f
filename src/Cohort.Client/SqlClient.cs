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

    /// <summary>Runs one statement (DDL, INSERT/UPDATE/DELETE, SELECT) and returns its columns, rows and affected count.</summary>
    /// <param name="sql">The statement.</param>
    /// <param name="parameters">Values for <c>$1</c>, <c>$2</c>, … (see <see cref="CohortOps.ToValue"/> for the types taken).</param>
    /// <returns>The result.</returns>
    public Task<SqlResult> ExecuteAsync(string sql, params object?[] parameters) => ExecuteAsync(sql, parameters, CancellationToken.None);

    /// <summary>Runs one statement with parameters and a cancellation token.</summary>
    /// <param name="sql">The statement.</param>
    /// <param name="parameters">Values for <c>$1</c>, <c>$2</c>, ….</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    public async Task<SqlResult> ExecuteAsync(string sql, IReadOnlyList<object?> parameters, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        return SqlResult.FromValue(await _runner.RunAsync(CohortOps.Sql(Resource, sql, [.. parameters ?? []]), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Runs a query and returns its rows (same as <see cref="ExecuteAsync(string, object?[])"/>, for readability).</summary>
    /// <param name="sql">The query.</param>
    /// <param name="parameters">Values for <c>$1</c>, <c>$2</c>, ….</param>
    /// <returns>The rows.</returns>
    public async Task<IReadOnlyList<SqlRow>> QueryAsync(string sql, params object?[] parameters) =>
        (await ExecuteAsync(sql, parameters, CancellationToken.None).ConfigureAwait(false)).Rows;

    /// <summary>Runs a seed-style payload <c>{"table","operation","values","where"}</c>.</summary>
    /// <param name="payload">The payload.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    public async Task<SqlResult> PayloadAsync(Value payload, CancellationToken cancellationToken = default) =>
        SqlResult.FromValue(await _runner.RunAsync(new CohortOperation(Resource, payload), cancellationToken).ConfigureAwait(false));
}
