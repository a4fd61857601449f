using System.Collections.Concurrent;
using System.Diagnostics;

namespace Cohort.Postgres;

/// <summary>
/// The prepared-transaction slots of one PostgreSQL server (<c>max_prepared_transactions</c>, shared by every database
/// on it), as the engines of this process use them. A transaction stays prepared until its phase two, which runs after
/// the client has its answer; under load prepared transactions can pile up faster than COMMIT PREPARED drains them,
/// and a PREPARE past the limit fails (53200) and loses the transaction. So an engine takes a slot before PREPARE and
/// waits, within the transaction's deadline, while the server's slots are all held — the same back-pressure the
/// hand-written PREPARE loop gets from waiting for its COMMIT PREPARED.
/// </summary>
/// <remarks>
/// The first count is this process's own, from the engines' state (PREPAREs in flight, prepared transactions not yet
/// finished, those found at start), so nothing has to be given back on every path and the common case costs no round
/// trip. That count can only be too high — an engine abandoned without being disposed keeps counting what a reopened
/// one recovered — so before waiting, the server is asked (<c>pg_prepared_xacts</c>, which also sees other processes'
/// prepared transactions), at most once per <see cref="Poll"/> for all waiters. A PREPARE let through by a reading
/// that a concurrent PREPARE made stale can still meet 53200 and vote No, as it would without the gate.
/// </remarks>
internal sealed class PreparedSlots
{
    private static readonly ConcurrentDictionary<string, PreparedSlots> Servers = new(StringComparer.Ordinal);

    // How often a waiting PREPARE looks again (a slot frees when some COMMIT PREPARED finishes), and how old a reading
    // of the server's count may be.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(2);

    private readonly ConcurrentDictionary<PostgresEngine, byte> _engines = new();
    private readonly Lock _sync = new();
    private Task<int>? _reading;
    private long _readingStarted;

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

            try
            {
                var onServer = await ReadServerAsync(engine).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (onServer + InFlight() <= Limit)
                {
                    return true;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                engine.EndPrepare();
                return false;
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

    // The server's count of prepared transactions: the reading under way, or a new one when the last is older than Poll
    // (a failed reading counts as full, so the PREPARE waits and looks again).
    private Task<int> ReadServerAsync(PostgresEngine engine)
    {
        lock (_sync)
        {
            if (_reading is null || (_reading.IsCompleted && Stopwatch.GetElapsedTime(_readingStarted) >= Poll))
            {
                _readingStarted = Stopwatch.GetTimestamp();
                _reading = CountAsync(engine, Limit);
            }

            return _reading;
        }

        static async Task<int> CountAsync(PostgresEngine engine, int limit)
        {
            try
            {
                return await engine.CountPreparedOnServerAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return limit;
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

    private int InFlight()
    {
        var preparing = 0;
        foreach (var engine in _engines.Keys)
        {
            preparing += engine.PreparesInFlight;
        }

        return preparing;
    }
}
