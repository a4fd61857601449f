namespace Cohort.Protocol;

/// <summary>
/// Resource names: <c>&lt;kind&gt;:&lt;name&gt;</c>, where the kind names the engine (<c>kv:users</c>, <c>pg:orders</c>).
/// One spelling of each kind and of the default SQL shard for the client, the CLI and the server.
/// </summary>
public static class ResourceNames
{
    /// <summary>The key-value engine's prefix.</summary>
    public const string KvPrefix = "kv:";

    /// <summary>The queue engine's prefix.</summary>
    public const string QueuePrefix = "queue:";

    /// <summary>The token (resource) engine's prefix.</summary>
    public const string ResourcePrefix = "resource:";

    /// <summary>The embedded SQL engine's prefix.</summary>
    public const string SqlPrefix = "sql:";

    /// <summary>The PostgreSQL participant's prefix.</summary>
    public const string PgPrefix = "pg:";

    /// <summary>The SQL shard every node hosts (qualified with <c>@host:port</c> when more than one node runs).</summary>
    public const string DefaultSql = "sql:default";

    /// <summary>The default PostgreSQL resource a node's <c>--pg</c> DSN opens.</summary>
    public const string DefaultPg = "pg:default";

    /// <summary>Whether <paramref name="resource"/> is an SQL resource of either kind (<c>sql:</c> or <c>pg:</c>).</summary>
    /// <param name="resource">A resource name.</param>
    /// <returns>True for <c>sql:…</c> and <c>pg:…</c>.</returns>
    public static bool IsSql(string resource) =>
        resource.StartsWith(SqlPrefix, StringComparison.Ordinal) || resource.StartsWith(PgPrefix, StringComparison.Ordinal);

    /// <summary>Checks that <paramref name="resource"/> is of the kind <paramref name="prefix"/> names.</summary>
    /// <param name="resource">The resource name.</param>
    /// <param name="prefix">The kind's prefix, e.g. <see cref="KvPrefix"/>.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentException">The name is blank or of another kind.</exception>
    public static string Check(string resource, string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(resource);
        return resource.StartsWith(prefix, StringComparison.Ordinal) && resource.Length > prefix.Length
            ? resource
            : throw new ArgumentException($"'{resource}' is not a {prefix.TrimEnd(':')} resource; its name must start with '{prefix}'.", nameof(resource));
    }
}
