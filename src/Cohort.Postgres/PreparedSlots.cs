using System.Collections.Concurrent;

namespace Cohort.Postgres;

/// <summary>
/// The prepared-transaction slots of one PostgreSQL server (<c>max_prepared_transactions</c>, shared by every database
/// on it), as the engines of this process use them. A transaction stays prepared until its phase two, which runs after
/// the client has its answer; under load prepared transactions can pile up faster than COMMIT PREPARED drains them,
/// and a PREPARE past the limit fails (53200) and loses the transaction. So an engine takes a slot before PREPARE and
/// waits, within the transaction's deadline, while the server's slots are all held by this process's engines — the
/// same back-pressure the hand-written PREPARE loop gets from waiting for its COMMIT PREPARED. Counted from the
/// engines' own state (prepared transactions still known, those found at start, and PREPAREs in flight), so nothing
/// has to be given back on every path. Prepared transactions of other processes on the server are not seen.
/// </summary>
internal sealed class PreparedSlots
{
    private static readonly ConcurrentDictionary<string, PreparedSlots> Servers = new(StringComparer.Ordinal);

    // How often a waiting PREPARE looks again: a slot frees when some COMMIT PREPARED finishes.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(2);

    private readonly ConcurrentDictionary<PostgresEngine, byte> _engines = new();

    private PreparedSlots(int limit) => Limit = limit;

    /// <summary>The server's <c>max_prepared_transactions</c>.</summary>
    public int Limit { get; private set; }

    /// <summary>The slots of the server at <paramref name="server"/> (host:port), with <paramref name="engine"/> counted among their users.</summary>
    public static PreparedSlots Join(string server, int limit, PostgresEngine engine)
    {
        var slots = Servers.GetOrAdd(server, _ => new PreparedSlots(limit));
        slots.Limit = limit;
        slots._engines[engine] = 0;
        return slots;
    }

    /// <summary>Stops counting <paramref name="engine"/> (disposed).</summary>
    public void Leave(PostgresEngine engine) => _engines.TryRemove(engine, out _);

    /// <summary>
    /// Counts one PREPARE of <paramref name="engine"/> in flight once the server has a slot for it; false when
    /// <paramref name="cancellationToken"/> fired first (nothing counted then). Call <see cref="PostgresEngine.EndPrepare"/> after.
    /// </summary>
    public async ValueTask<bool> TakeAsync(PostgresEngine engine, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Counted first and checked after, so that two PREPAREs racing for the last slot cannot both pass.
            engine.BeginPrepare();
            if (Held() <= Limit)
            {
                return true;
            }

            engine.EndPrepare();
            try
            {
                await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    private int Held()
    {
        var held = 0;
        foreach (var engine in _engines.Keys)
        {
            held += engine.PreparedSlotsHeld;
        }

        return held;
    }
}
