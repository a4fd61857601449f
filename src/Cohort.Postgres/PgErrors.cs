using System.Net.Sockets;
using Cohort.Core;
using Npgsql;

namespace Cohort.Postgres;

/// <summary>PostgreSQL and Npgsql failures as <see cref="CohortException"/>s with stable codes.</summary>
internal static class PgErrors
{
    /// <summary>Whether <paramref name="e"/> means the connection failed (the server's state for the statement is unknown).</summary>
    public static bool IsConnectionFailure(Exception e) => e switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState is "57P01" or "57P02" or "57P03" or "53300",
        NpgsqlException { InnerException: IOException or SocketException or TimeoutException or EndOfStreamException } => true,
        NpgsqlException n => n.IsTransient,
        IOException or SocketException or EndOfStreamException => true,
        _ => false,
    };

    /// <summary>The Cohort error for a failure of <paramref name="resource"/>.</summary>
    public static CohortException Map(string resource, Exception e)
    {
        if (e is CohortException cohort)
        {
            return cohort;
        }

        if (e is PostgresException p)
        {
            var where = p.TableName is { Length: > 0 } table ? $" on table '{table}'" : string.Empty;
            var detail = p.Detail is { Length: > 0 } d ? $" ({d})" : string.Empty;
            switch (p.SqlState)
            {
                case PostgresErrorCodes.UniqueViolation:
                case PostgresErrorCodes.ForeignKeyViolation:
                case PostgresErrorCodes.CheckViolation:
                case PostgresErrorCodes.NotNullViolation:
                case PostgresErrorCodes.ExclusionViolation:
                case PostgresErrorCodes.RestrictViolation:
                {
                    var constraint = p.ConstraintName is { Length: > 0 } c ? $"constraint '{c}'" : $"a {p.SqlState} constraint";
                    return new CohortException(ErrorCodes.ConstraintViolation, $"{resource}: the write violates {constraint}{where}: {p.MessageText}{detail}", isTransient: false, e);
                }

                case PostgresErrorCodes.SerializationFailure:
                case PostgresErrorCodes.DeadlockDetected:
                    return new CohortException(ErrorCodes.Wounded, $"{resource}: PostgreSQL aborted the transaction to resolve a conflict ({p.SqlState}: {p.MessageText}); retry it.", isTransient: true, e);
                case PostgresErrorCodes.LockNotAvailable:
                case PostgresErrorCodes.QueryCanceled:
                    return new CohortException(ErrorCodes.LockTimeout, $"{resource}: {p.MessageText} ({p.SqlState}); retry it.", isTransient: true, e);
                case PostgresErrorCodes.SyntaxError:
                    return new CohortException(ErrorCodes.SqlSyntax, $"{resource}: {p.MessageText}{(p.Position > 0 ? $" at position {p.Position}" : string.Empty)}", isTransient: false, e);
                case PostgresErrorCodes.FeatureNotSupported when p.Routine == "RevalidateCachedQuery":
                    // A prepared statement (see Max Auto Prepare) whose result columns changed with the table's schema:
                    // Npgsql has dropped it, and the statement is prepared afresh when it runs again.
                    return new CohortException(ErrorCodes.Wounded, $"{resource}: the statement was prepared before a schema change that altered its result columns ({p.MessageText}); retry it.", isTransient: true, e);
                case PostgresErrorCodes.InvalidTextRepresentation when p.MessageText.Contains(PostgresEngine.LostTransactionMarker, StringComparison.Ordinal):
                    // The audit row's check (PostgresEngine.AuditInsert): a statement ended the transaction Cohort began.
                    return new CohortException(ErrorCodes.BadOperation, $"{resource}: a statement ended the PostgreSQL transaction, which only Cohort may end (transaction-control statements are refused); nothing was prepared or committed by Cohort and the transaction is aborted.", isTransient: false, e);
                case PostgresErrorCodes.ReadOnlySqlTransaction:
                    return new CohortException(ErrorCodes.BadOperation, $"{resource}: the statement writes; run it in a transaction, not as a snapshot read ({p.MessageText}).", isTransient: false, e);
            }

            if (IsConnectionFailure(p))
            {
                return Unavailable(resource, e);
            }

            if (p.SqlState.StartsWith("53", StringComparison.Ordinal))
            {
                // Insufficient resources (e.g. 53200 "maximum number of prepared transactions reached", 53100 disk full):
                // nothing wrong with the statement; it may work later, or once the server's limit is raised.
                var hint = p.Hint is { Length: > 0 } h ? $" {h}." : string.Empty;
                return new CohortException(ErrorCodes.Unavailable, $"{resource}: PostgreSQL ran out of a resource ({p.SqlState}: {p.MessageText}).{hint}", isTransient: true, e);
            }

            // Classes 22 (data), 42 (syntax or access rule), 0A (not supported) and the rest are the statement's fault.
            return new CohortException(ErrorCodes.BadOperation, $"{resource}: {p.SqlState}: {p.MessageText}{where}{detail}", isTransient: false, e);
        }

        if (IsConnectionFailure(e) || e is NpgsqlException)
        {
            return Unavailable(resource, e);
        }

        return new CohortException(ErrorCodes.BadOperation, $"{resource}: {e.Message}", isTransient: false, e);
    }

    /// <summary>The transient error for a server that cannot be reached.</summary>
    public static CohortException Unavailable(string resource, Exception? e) =>
        new(ErrorCodes.Unavailable, $"{resource}: PostgreSQL is unavailable{(e is null ? string.Empty : ": " + e.Message)}", isTransient: true, e);
}
