using System.Collections.Immutable;
using Cohort.Coordination;
using Cohort.Core;
using Cohort.Etcd;
using Cohort.Protocol;
using Google.Protobuf;
using Grpc.Core;

namespace Cohort.Tests.Etcd;

/// <summary>The etcd backend's pure parts: key ranges, the stored form of a decision, the error boundary.</summary>
public sealed class EtcdEncodingTests
{
    private const string Prefix = "/cohort/test/decisions/";

    [Theory]
    [InlineData(new byte[] { 0x61, 0x62, 0x63 }, new byte[] { 0x61, 0x62, 0x64 })]
    [InlineData(new byte[] { 0x61, 0xff }, new byte[] { 0x62 })]
    [InlineData(new byte[] { 0xff, 0xff }, new byte[] { 0x00 })]
    public void RangeEnd_IsThePrefixWithItsLastIncrementableByteIncremented(byte[] prefix, byte[] end) =>
        Assert.Equal(end, EtcdKeys.RangeEnd(ByteString.CopyFrom(prefix)).ToByteArray());

    [Fact]
    public void Keys_LiveUnderTheClusterPrefix_AndEveryDecisionKeyIsInsideTheDecisionRange()
    {
        var keys = new EtcdKeys("/cohort/prod/");
        var txId = TxId.NewId();
        Assert.Equal("/cohort/prod/leader", keys.Leader.ToStringUtf8());
        var key = keys.Decision(txId);
        Assert.Equal("/cohort/prod/decisions/" + txId, key.ToStringUtf8());
        Assert.True(Compare(keys.Decisions, key) <= 0 && Compare(key, keys.DecisionsEnd) < 0);
        Assert.True(Compare(keys.Leader, keys.Decisions) < 0 || Compare(keys.Leader, keys.DecisionsEnd) >= 0, "the leader key is inside the decision range");
        Assert.Equal(key.ToByteArray().Append((byte)0), EtcdKeys.After(key).ToByteArray());
    }

    [Fact]
    public void Decision_RoundTripsThroughItsStoredForm()
    {
        var decision = NewDecision();
        var stored = EtcdDecisionLog.Encode(decision);
        Assert.Equal(1, stored[0]);
        var read = EtcdDecisionLog.Decode(Prefix, Prefix + decision.TxId, stored);
        Assert.Equal(decision.TxId, read.TxId);
        Assert.Equal(decision.CommitTimestamp, read.CommitTimestamp);
        Assert.Equal(decision.Epoch, read.Epoch);
        Assert.Equal(decision.Participants.AsEnumerable(), read.Participants.AsEnumerable());
    }

    [Fact]
    public void StoredDecision_UnderAnotherTransactionsKey_IsCorruption()
    {
        var stored = EtcdDecisionLog.Encode(NewDecision());
        var error = Assert.Throws<CohortException>(() => EtcdDecisionLog.Decode(Prefix, Prefix + TxId.NewId(), stored));
        Assert.Equal(ErrorCodes.Corruption, error.Code);
    }

    [Fact]
    public void StoredDecision_WithAnUnknownFormatOrCutShort_IsCorruption()
    {
        var decision = NewDecision();
        var stored = EtcdDecisionLog.Encode(decision).ToByteArray();
        var key = Prefix + decision.TxId;
        var unknown = (byte[])stored.Clone();
        unknown[0] = 2;
        Assert.Equal(ErrorCodes.Corruption, Assert.Throws<CohortException>(() => EtcdDecisionLog.Decode(Prefix, key, ByteString.CopyFrom(unknown))).Code);
        Assert.Equal(ErrorCodes.Corruption, Assert.Throws<CohortException>(() => EtcdDecisionLog.Decode(Prefix, key, ByteString.Empty)).Code);
        for (var length = 1; length < stored.Length; length++)
        {
            var cut = ByteString.CopyFrom(stored, 0, length);
            Assert.Equal(ErrorCodes.Corruption, Assert.Throws<CohortException>(() => EtcdDecisionLog.Decode(Prefix, key, cut)).Code);
        }
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, ErrorCodes.Unavailable, true)]
    [InlineData(StatusCode.DeadlineExceeded, ErrorCodes.Unavailable, true)]
    [InlineData(StatusCode.InvalidArgument, ErrorCodes.Internal, false)]
    [InlineData(StatusCode.PermissionDenied, ErrorCodes.Internal, false)]
    public void RpcFailures_BecomeCatalogErrors(StatusCode status, string code, bool transient)
    {
        var error = EtcdErrors.ToCohort(new RpcException(new Status(status, "etcdserver: test")), "a test call");
        Assert.Equal(code, error.Code);
        Assert.Equal(transient, error.IsTransient);
        Assert.False(error.NeverRan);
    }

    [Fact]
    public void Options_AreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EtcdLeadershipOptions { KeyPrefix = "/p", Candidate = "a", LeaseTtl = TimeSpan.FromMilliseconds(500) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EtcdLeadershipOptions { KeyPrefix = "/p", Candidate = "a", SafetyMargin = TimeSpan.FromSeconds(5) }.Validate());
        Assert.Throws<ArgumentException>(() => new EtcdLeadershipOptions { KeyPrefix = " ", Candidate = "a" }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EtcdDecisionLogOptions { KeyPrefix = "/p", Holder = "a", MaxBatch = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EtcdDecisionLogOptions { KeyPrefix = "/p", Holder = "a", WriteTimeout = EtcdDecisionLogOptions.DefaultRequestTimeout / 2 }.Validate());
        new EtcdLeadershipOptions { KeyPrefix = "/p", Candidate = "a" }.Validate();
        new EtcdDecisionLogOptions { KeyPrefix = "/p", Holder = "a" }.Validate();
    }

    private static int Compare(ByteString a, ByteString b) => a.Span.SequenceCompareTo(b.Span);

    private static CommitDecision NewDecision() => new(
        TxId.NewId(),
        ImmutableArray.Create(new Participant("kv:users", "http://127.0.0.1:7001"), new Participant("pg:shard1", "http://127.0.0.1:7002")),
        new HlcTimestamp(123_456_789),
        42);
}
