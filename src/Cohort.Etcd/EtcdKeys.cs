using Cohort.Core;
using Etcdserverpb;
using Google.Protobuf;

namespace Cohort.Etcd;

/// <summary>
/// The layout of one Cohort cluster's keys in etcd, all under its key prefix: <c>&lt;prefix&gt;/leader</c> (the
/// leadership key, bound to the leader's lease), <c>&lt;prefix&gt;/decisions/&lt;txid&gt;</c> (one per unfinished
/// commit decision; a recorded abort or a finished adopted decision is bound to a retention lease),
/// <c>&lt;prefix&gt;/members</c> and <c>&lt;prefix&gt;/resources/&lt;name&gt;</c> (membership and placement), and
/// <c>&lt;prefix&gt;/configs/&lt;name&gt;</c> (each replicated resource's configuration).
/// </summary>
internal sealed class EtcdKeys
{
    /// <summary>Creates the layout under <paramref name="prefix"/> (a trailing <c>/</c> is ignored).</summary>
    public EtcdKeys(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        Prefix = prefix.TrimEnd('/');
        Leader = ByteString.CopyFromUtf8(Prefix + "/leader");
        DecisionsPrefix = Prefix + "/decisions/";
        Decisions = ByteString.CopyFromUtf8(DecisionsPrefix);
        DecisionsEnd = RangeEnd(Decisions);
        Members = ByteString.CopyFromUtf8(Prefix + "/members");
        ResourcesPrefix = Prefix + "/resources/";
        Resources = ByteString.CopyFromUtf8(ResourcesPrefix);
        ResourcesEnd = RangeEnd(Resources);
        ConfigsPrefix = Prefix + "/configs/";
        Configs = ByteString.CopyFromUtf8(ConfigsPrefix);
        ConfigsEnd = RangeEnd(Configs);
    }

    /// <summary>The text every resource configuration key starts with.</summary>
    public string ConfigsPrefix { get; }

    /// <summary>The first key of the configuration range.</summary>
    public ByteString Configs { get; }

    /// <summary>The end (exclusive) of the configuration range.</summary>
    public ByteString ConfigsEnd { get; }

    /// <summary>The configuration key of <paramref name="resource"/> (its value is the configuration's JSON, <see cref="Cluster.ResourceConfiguration.Encode"/>).</summary>
    public ByteString Config(string resource) => ByteString.CopyFromUtf8(ConfigsPrefix + resource);

    /// <summary>The membership key: its value is <c>{"version":n,"members":[…]}</c>.</summary>
    public ByteString Members { get; }

    /// <summary>The text every resource placement key starts with.</summary>
    public string ResourcesPrefix { get; }

    /// <summary>The first key of the placement range.</summary>
    public ByteString Resources { get; }

    /// <summary>The end (exclusive) of the placement range.</summary>
    public ByteString ResourcesEnd { get; }

    /// <summary>The placement key of <paramref name="resource"/> (its value is the home node's address).</summary>
    public ByteString Resource(string resource) => ByteString.CopyFromUtf8(ResourcesPrefix + resource);

    /// <summary>The cluster's prefix, without a trailing <c>/</c>.</summary>
    public string Prefix { get; }

    /// <summary>The leadership key.</summary>
    public ByteString Leader { get; }

    /// <summary>The text every decision key starts with.</summary>
    public string DecisionsPrefix { get; }

    /// <summary>The first key of the decision range.</summary>
    public ByteString Decisions { get; }

    /// <summary>The end (exclusive) of the decision range.</summary>
    public ByteString DecisionsEnd { get; }

    /// <summary>The key of <paramref name="txId"/>'s decision.</summary>
    public ByteString Decision(TxId txId) => ByteString.CopyFromUtf8(DecisionsPrefix + txId.ToString());

    /// <summary>
    /// Adds the fence of every leader-only write to <paramref name="txn"/>: the leader key's create revision is
    /// <paramref name="epoch"/> and its value <paramref name="holder"/>. A deposed leader's write fails it, whatever that
    /// leader believes about its lease.
    /// </summary>
    public void AddFence(TxnRequest txn, long epoch, ByteString holder)
    {
        ArgumentNullException.ThrowIfNull(txn);
        txn.Compare.Add(new Compare
        {
            Key = Leader,
            Target = Compare.Types.CompareTarget.Create,
            Result = Compare.Types.CompareResult.Equal,
            CreateRevision = epoch,
        });
        txn.Compare.Add(new Compare
        {
            Key = Leader,
            Target = Compare.Types.CompareTarget.Value,
            Result = Compare.Types.CompareResult.Equal,
            Value = holder,
        });
    }

    /// <summary>Whether the leader key, as a failed fenced transaction's range read it, is <paramref name="holder"/>'s at <paramref name="epoch"/>.</summary>
    public static bool Holds(ResponseOp leaderRange, long epoch, ByteString holder) =>
        leaderRange.ResponseRange?.Kvs is { Count: > 0 } kvs && kvs[0].CreateRevision == epoch && kvs[0].Value == holder;

    /// <summary>Who holds the leader key, as a failed fenced transaction's range read it, in words.</summary>
    public static string Holder(ResponseOp leaderRange) => leaderRange.ResponseRange?.Kvs is { Count: > 0 } kvs
        ? $"is held by '{kvs[0].Value.ToStringUtf8()}' at epoch {kvs[0].CreateRevision}"
        : "does not exist";

    /// <summary>A compare that holds while <paramref name="key"/> does not exist.</summary>
    public static Compare Absent(ByteString key) => new()
    {
        Key = key,
        Target = Compare.Types.CompareTarget.Create,
        Result = Compare.Types.CompareResult.Equal,
        CreateRevision = 0,
    };

    /// <summary>The end of the range of every key starting with <paramref name="prefix"/>: the prefix with its last byte below 0xff incremented (etcd's <c>GetPrefixRangeEnd</c>).</summary>
    public static ByteString RangeEnd(ByteString prefix)
    {
        var end = prefix.ToByteArray();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return ByteString.CopyFrom(end, 0, i + 1);
            }
        }

        // Every byte is 0xff: the range runs to the end of the key space.
        return ByteString.CopyFrom(new byte[] { 0 });
    }

    /// <summary>The smallest key after <paramref name="key"/>: the key with a zero byte appended.</summary>
    public static ByteString After(ByteString key)
    {
        var next = new byte[key.Length + 1];
        key.Span.CopyTo(next);
        return ByteString.CopyFrom(next);
    }
}
