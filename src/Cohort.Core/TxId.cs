using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Cohort.Core;

/// <summary>
/// A transaction identifier: a UUIDv7 (RFC 9562) whose order is the order of creation. The first
/// 48 bits are Unix milliseconds and the next 12 a counter that keeps ids from one process strictly
/// increasing within a millisecond; the rest is random. Comparison is by age: a smaller id is older,
/// which is what wound-wait needs.
/// </summary>
public readonly struct TxId : IEquatable<TxId>, IComparable<TxId>, ISpanFormattable, IParsable<TxId>
{
    private static readonly Lock Gate = new();
    // Random per process (HashCode's own per-process seed), unless a simulation fixed it.
    private static ulong s_hashSeed = unchecked((ulong)HashCode.Combine(0x5EED) << 32 | (uint)HashCode.Combine(0xC0DE));

    private static long _lastMs;
    private static int _counter;

    private readonly ulong _hi;
    private readonly ulong _lo;

    /// <summary>Creates an id from its two big-endian halves.</summary>
    public TxId(ulong hi, ulong lo)
    {
        _hi = hi;
        _lo = lo;
    }

    /// <summary>The all-zero id, older than every real one.</summary>
    public static TxId Empty => default;

    /// <summary>The high 64 bits (timestamp, version, counter).</summary>
    public ulong High => _hi;

    /// <summary>The low 64 bits (variant and random).</summary>
    public ulong Low => _lo;

    /// <summary>The creation time encoded in the id.</summary>
    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds((long)(_hi >> 16));

    /// <summary>Creates a new id using the system clock.</summary>
    public static TxId NewId() => NewId(TimeProvider.System);

    /// <summary>Creates a new id using <paramref name="time"/> for its timestamp.</summary>
    public static TxId NewId(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (Execution.Executor.Simulation is { } simulation)
        {
            // A simulated run must not depend on ids made by earlier runs in this process: no shared counter, the
            // simulation's seeded random for the counter and the low bits.
            var random = simulation.Random;
            return new TxId(((ulong)now << 16) | (0x7UL << 12) | (uint)random.Next(0, 0x1000), ((ulong)random.NextInt64() & 0x3FFF_FFFF_FFFF_FFFFUL) | 0x8000_0000_0000_0000UL);
        }

        long ms;
        int counter;
        lock (Gate)
        {
            if (now > _lastMs)
            {
                _lastMs = now;
#pragma warning disable RS0030 // The production branch: a simulation returned above with its seeded random.
                _counter = Random.Shared.Next(0, 0x400);
#pragma warning restore RS0030
            }
            else if (++_counter > 0xFFF)
            {
                // Counter exhausted within one millisecond: borrow the next millisecond (RFC 9562 §6.2).
                _lastMs++;
                _counter = 0;
            }

            ms = _lastMs;
            counter = _counter;
        }

        // The random bits only keep ids of different coordinators apart (nothing is secret in an id), so the runtime's
        // fast generator, seeded from the OS per process, does: the cryptographic one cost ~2% of a busy master's CPU.
        var hi = ((ulong)ms << 16) | (0x7UL << 12) | (uint)counter;
#pragma warning disable RS0030 // The production branch: a simulation returned above with its seeded random.
        var lo = ((ulong)Random.Shared.NextInt64() & 0x3FFF_FFFF_FFFF_FFFFUL) | 0x8000_0000_0000_0000UL;
#pragma warning restore RS0030
        return new TxId(hi, lo);
    }

    /// <summary>Whether this id is older (created earlier) than <paramref name="other"/>.</summary>
    public bool IsOlderThan(TxId other) => CompareTo(other) < 0;

    /// <inheritdoc/>
    public int CompareTo(TxId other)
    {
        var c = _hi.CompareTo(other._hi);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    /// <inheritdoc/>
    public bool Equals(TxId other) => _hi == other._hi && _lo == other._lo;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TxId other && Equals(other);

    /// <inheritdoc/>
    /// <remarks>
    /// Keyed by a per-process secret (ids come off the wire, so colliding ones must not be easy to make), which the
    /// deterministic simulation fixes once at start-up (<see cref="FixHashSeed"/>) so that a seed's run, whose order of
    /// dictionary entries depends on these codes, replays the same in another process.
    /// </remarks>
    public override int GetHashCode()
    {
        var mixed = (_lo ^ s_hashSeed) * 0x9E3779B97F4A7C15UL;
        mixed ^= _hi + (mixed >> 29);
        mixed *= 0xBF58476D1CE4E5B9UL;
        return unchecked((int)(mixed ^ (mixed >> 32)));
    }

    /// <summary>Fixes the hash key; only for a process that runs deterministic simulations, before any id is hashed.</summary>
    internal static void FixHashSeed(ulong seed) => s_hashSeed = seed;

    /// <summary>Equality.</summary>
    public static bool operator ==(TxId left, TxId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(TxId left, TxId right) => !left.Equals(right);

    /// <summary>Older than.</summary>
    public static bool operator <(TxId left, TxId right) => left.CompareTo(right) < 0;

    /// <summary>Younger than.</summary>
    public static bool operator >(TxId left, TxId right) => left.CompareTo(right) > 0;

    /// <summary>Older than or equal.</summary>
    public static bool operator <=(TxId left, TxId right) => left.CompareTo(right) <= 0;

    /// <summary>Younger than or equal.</summary>
    public static bool operator >=(TxId left, TxId right) => left.CompareTo(right) >= 0;

    /// <summary>Writes the 16 bytes big-endian.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
    }

    /// <summary>Reads 16 big-endian bytes.</summary>
    public static TxId ReadFrom(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    /// <summary>The canonical 36-character form, e.g. <c>0190a3b2-…</c>.</summary>
    public override string ToString()
    {
        Span<char> buffer = stackalloc char[36];
        TryFormat(buffer, out _, default, null);
        return new string(buffer);
    }

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteTo(bytes);
        return new Guid(bytes, bigEndian: true).TryFormat(destination, out charsWritten, "D");
    }

    /// <summary>Parses the canonical form; throws <see cref="FormatException"/> on bad input.</summary>
    public static TxId Parse(string s, IFormatProvider? provider = null) =>
        TryParse(s, provider, out var id) ? id : throw new FormatException($"'{s}' is not a transaction id (expected a UUID).");

    /// <summary>Tries to parse the canonical form.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out TxId result)
    {
        if (Guid.TryParse(s, out var guid))
        {
            Span<byte> bytes = stackalloc byte[16];
            guid.TryWriteBytes(bytes, bigEndian: true, out _);
            result = ReadFrom(bytes);
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>Tries to parse the canonical form.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, out TxId result) => TryParse(s, null, out result);
}
