using System.Linq.Expressions;
using System.Reflection;
using Npgsql;

namespace Cohort.Postgres;

/// <summary>
/// The transaction status PostgreSQL reported in its last ReadyForQuery message on a connection: <c>T</c> in a
/// transaction block, <c>I</c> idle (no transaction: it was committed, rolled back or prepared), <c>E</c> in a failed one.
/// </summary>
/// <remarks>
/// This is the cheapest reliable signal that a statement ended Cohort's transaction: the server sends it with the answer
/// to every round trip, so reading it costs nothing, where asking the server (<c>SELECT txid_current_if_assigned()</c>,
/// <c>current_setting(…)</c>) would add a statement to every operation. Npgsql tracks it (that is how an
/// <see cref="NpgsqlTransaction"/> knows it has completed) but keeps it internal, and its public transaction API cannot
/// be used instead: <c>BeginTransaction()</c> sends <c>BEGIN … ISOLATION LEVEL READ COMMITTED</c>, overriding the
/// database's default isolation that a pg resource promises. So it is read from <c>NpgsqlConnection.Connector</c>'s
/// <c>TransactionStatus</c> (Npgsql 10: an enum whose values are the protocol's status bytes) through a delegate compiled
/// once. Should a later Npgsql rename them, <see cref="IsAvailable"/> turns false, the engine logs it at start-up and
/// falls back on the server-side check its audit row makes at prepare and commit (an integration test asserts that
/// the status is read, so an upgrade that breaks it fails the build's tests rather than production).
/// </remarks>
internal static class PgSessionStatus
{
    /// <summary>ReadyForQuery status: in a transaction block.</summary>
    public const byte InTransaction = (byte)'T';

    /// <summary>ReadyForQuery status: not in a transaction.</summary>
    public const byte Idle = (byte)'I';

    /// <summary>ReadyForQuery status: in a failed transaction block.</summary>
    public const byte Failed = (byte)'E';

    /// <summary>The status is not known (Npgsql's internals moved, or the connection has no connector).</summary>
    public const byte Unknown = 0;

    private static readonly Func<NpgsqlConnection, byte>? Reader = CreateReader();

    /// <summary>Whether the status can be read with this version of Npgsql.</summary>
    public static bool IsAvailable => Reader is not null;

    /// <summary>The last status PostgreSQL reported on <paramref name="connection"/>, or <see cref="Unknown"/>.</summary>
    public static byte Of(NpgsqlConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (Reader is null)
        {
            return Unknown;
        }

        try
        {
            return Reader(connection);
        }
        catch (NullReferenceException)
        {
            // A closed connection has no connector.
            return Unknown;
        }
    }

    /// <summary>Whether the status says the connection is not inside an open transaction block (idle or failed).</summary>
    public static bool IsOutsideTransaction(NpgsqlConnection connection) => Of(connection) is Idle or Failed;

    private static Func<NpgsqlConnection, byte>? CreateReader()
    {
        const BindingFlags Flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        var connector = typeof(NpgsqlConnection).GetProperty("Connector", Flags);
        var status = connector?.PropertyType.GetProperty("TransactionStatus", Flags);
        if (status is null || !status.PropertyType.IsEnum || Enum.GetUnderlyingType(status.PropertyType) != typeof(byte)
            || !Enum.IsDefined(status.PropertyType, Enum.ToObject(status.PropertyType, InTransaction))
            || !Enum.IsDefined(status.PropertyType, Enum.ToObject(status.PropertyType, Idle)))
        {
            return null;
        }

        var parameter = Expression.Parameter(typeof(NpgsqlConnection), "connection");
        var body = Expression.Convert(Expression.Property(Expression.Property(parameter, connector!), status), typeof(byte));
        return Expression.Lambda<Func<NpgsqlConnection, byte>>(body, parameter).Compile();
    }
}
