using System.Buffers;
using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Storage.Encoding;

namespace Cohort.Coordination;

/// <summary>Binary form of decisions in the decision log and its snapshots.</summary>
internal static class DecisionCodec
{
    public static void Write(IBufferWriter<byte> writer, CommitDecision decision)
    {
        writer.WriteTxId(decision.TxId);
        writer.WriteInt64(decision.CommitTimestamp.Value);
        writer.WriteVarInt(decision.Epoch);
        writer.WriteVarUInt((ulong)decision.Participants.Length);
        foreach (var participant in decision.Participants)
        {
            writer.WriteString(participant.Resource);
            writer.WriteString(participant.Node);
        }
    }

    public static CommitDecision Read(ref SpanReader reader)
    {
        var txId = reader.ReadTxId();
        var commitTimestamp = new HlcTimestamp(reader.ReadInt64());
        var epoch = reader.ReadVarInt();
        var count = reader.ReadVarUInt();
        if (count > 1_000_000)
        {
            throw new CohortException(ErrorCodes.Corruption, $"Decision of {txId} claims {count} participants.", isTransient: false);
        }

        var participants = ImmutableArray.CreateBuilder<Participant>((int)count);
        for (ulong i = 0; i < count; i++)
        {
            var resource = reader.ReadString();
            var node = reader.ReadString();
            participants.Add(new Participant(resource, node));
        }

        return new CommitDecision(txId, participants.MoveToImmutable(), commitTimestamp, epoch);
    }
}
