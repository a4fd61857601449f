using Cohort.Core;
using Google.Protobuf;

namespace Cohort.Etcd;

/// <summary>
/// The layout of one Cohort cluster's keys in etcd, all under its key prefix: <c>&lt;prefix&gt;/leader</c> (the
/// leadership key, bound to the leader's lease) and <c>&lt;prefix&gt;/decisions/&lt;txid&gt;</c> (one per unfinished
/// commit decision; a recorded abort or a finished adopted decision is bound to a retention lease).
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
    }

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
