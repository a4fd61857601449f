namespace Cohort.Postgres;

/// <summary>Error codes the PostgreSQL participant adds to <see cref="Cohort.Core.ErrorCodes"/>.</summary>
public static class PgErrorCodes
{
    /// <summary>PostgreSQL cannot be reached or is shutting down; transient (the same code the coordination layer uses, answered 503).</summary>
    public const string Unavailable = "unavailable";

    /// <summary>The server is not set up for two-phase commit (<c>max_prepared_transactions = 0</c>) or refuses the audit table.</summary>
    public const string Misconfigured = "pg_misconfigured";
}
