using System.Collections.Immutable;
using Cohort.Protocol;

namespace Cohort.Tests.Protocol;

/// <summary>The configuration term every participant request carries, through its JSON form.</summary>
public sealed class TermWireTests
{
    private static readonly TxId Tx = TxId.NewId();
    private static readonly DateTimeOffset Deadline = new(2026, 12, 7, 1, 2, 3, TimeSpan.Zero);
    private static readonly Operation Put = Operation.Create("put", ("key", Value.From("k")), ("value", Value.From(1L)));

    [Fact]
    public void EveryParticipantRequest_CarriesItsTerm_ThroughTheWire()
    {
        Assert.Equal(7, WireFormat.ReadApply(Trip(WireFormat.Apply(new ApplyRequest(Tx, 1, Deadline, "kv:a", Put, 1, Term: 7)))).Term);
        Assert.Equal(7, WireFormat.ReadPrepare(Trip(WireFormat.Prepare(new PrepareRequest(Tx, 1, Deadline, "kv:a", "c", 1, Term: 7)))).Term);
        Assert.Equal(7, WireFormat.ReadBatch(Trip(WireFormat.Batch(new BatchPrepareRequest(Tx, 1, Deadline, "kv:a", [Put], "c", CommitOnePhase: false, Term: 7)))).Term);
        Assert.Equal(7, WireFormat.ReadCommit(Trip(WireFormat.Commit(new CommitRequest(Tx, 1, "kv:a", new HlcTimestamp(5), ImmutableArray<Participant>.Empty, Term: 7)))).Term);
        Assert.Equal(7, WireFormat.ReadOnePhase(Trip(WireFormat.OnePhase(new OnePhaseCommitRequest(Tx, 1, "kv:a", new HlcTimestamp(5), 1, Term: 7)))).Term);
        Assert.Equal(7, WireFormat.ReadAbort(Trip(WireFormat.Abort(new AbortRequest(Tx, 1, "kv:a", Term: 7)))).Term);
    }

    [Fact]
    public void ARequestWithoutTerm_FromAnOlderNode_ReadsAsZero_ANegativeOneIsBadJson()
    {
        Assert.Equal(0, WireFormat.ReadAbort(Value.Map(("tx_id", Tx.ToString()), ("epoch", 1L), ("resource", "kv:a"))).Term);
        var e = Assert.Throws<CohortException>(() => WireFormat.ReadAbort(Value.Map(("tx_id", Tx.ToString()), ("epoch", 1L), ("resource", "kv:a"), ("term", -1L))));
        Assert.Equal(ErrorCodes.BadJson, e.Code);
        Assert.Contains("term", e.Message, StringComparison.Ordinal);
    }

    private static Value Trip(Value message) => ValueJson.Parse(ValueJson.Serialize(message));
}
