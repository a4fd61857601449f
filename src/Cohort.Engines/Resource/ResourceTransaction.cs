using System.Buffers;
using System.Globalization;
using System.Numerics;
using Cohort.Core;
using Cohort.Storage.Encoding;

namespace Cohort.Engines.Resource;

/// <summary>A token transaction's buffered effects: net balance deltas, reserved debits, supply change and metadata.</summary>
public sealed class ResourceTransaction(TxId id, DateTimeOffset deadline) : EngineTransaction(id, deadline)
{
    internal Dictionary<string, BigInteger> Deltas { get; } = new(StringComparer.Ordinal);

    internal Dictionary<string, BigInteger> Reserved { get; } = new(StringComparer.Ordinal);

    // Gross debits per account while active (not logged: a prepared transaction takes no more operations).
    internal Dictionary<string, BigInteger> Debits { get; } = new(StringComparer.Ordinal);

    internal BigInteger SupplyDelta { get; set; }

    // Metadata fields written by initialize or update_metadata; each field is its own key and lock.
    internal Dictionary<string, Value> Metadata { get; } = new(StringComparer.Ordinal);

    // Whether Reserved is counted in the engine's reservation table (guarded by the engine's reservation gate).
    internal bool HoldsReservations { get; set; }

    /// <inheritdoc/>
    public override bool HasWrites => Deltas.Count > 0 || !SupplyDelta.IsZero || Metadata.Count > 0;

    /// <inheritdoc/>
    public override IEnumerable<string> ExclusiveLockKeys => Metadata.Keys.Select(ResourceEngine.MetadataKey);

    internal IEnumerable<string> TouchedKeys
    {
        get
        {
            foreach (var account in Deltas.Keys)
            {
                yield return ResourceEngine.BalanceKey(account);
            }

            if (!SupplyDelta.IsZero)
            {
                yield return ResourceEngine.SupplyKey;
            }

            foreach (var name in Metadata.Keys)
            {
                yield return ResourceEngine.MetadataKey(name);
            }
        }
    }

    internal void AddDelta(string account, BigInteger delta)
    {
        var total = Deltas.GetValueOrDefault(account) + delta;
        Deltas[account] = total;
    }

    /// <inheritdoc/>
    public override void WriteIntents(IBufferWriter<byte> writer)
    {
        writer.WriteVarUInt((ulong)Metadata.Count);
        foreach (var (field, value) in Metadata)
        {
            writer.WriteString(field);
            writer.WriteValue(value);
        }

        writer.WriteString(SupplyDelta.ToString(CultureInfo.InvariantCulture));
        WriteAmounts(writer, Deltas);
        WriteAmounts(writer, Reserved);
    }

    internal static ResourceTransaction ReadIntents(TxId id, ref SpanReader reader)
    {
        var tx = new ResourceTransaction(id, DateTimeOffset.MaxValue);
        var fields = reader.ReadVarUInt();
        for (ulong i = 0; i < fields; i++)
        {
            var field = reader.ReadString();
            tx.Metadata[field] = reader.ReadValue();
        }

        tx.SupplyDelta = BigInteger.Parse(reader.ReadString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        ReadAmounts(ref reader, tx.Deltas);
        ReadAmounts(ref reader, tx.Reserved);
        return tx;
    }

    private static void WriteAmounts(IBufferWriter<byte> writer, Dictionary<string, BigInteger> amounts)
    {
        writer.WriteVarUInt((ulong)amounts.Count);
        foreach (var (account, amount) in amounts)
        {
            writer.WriteString(account);
            writer.WriteString(amount.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void ReadAmounts(ref SpanReader reader, Dictionary<string, BigInteger> amounts)
    {
        var count = reader.ReadVarUInt();
        for (ulong i = 0; i < count; i++)
        {
            var account = reader.ReadString();
            amounts[account] = BigInteger.Parse(reader.ReadString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
    }
}
