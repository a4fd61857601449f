namespace Cohort.Cluster;

/// <summary>One node as this node sees it.</summary>
/// <param name="Address">Its address.</param>
/// <param name="IsMaster">Whether it is the master this node follows.</param>
/// <param name="Alive">Whether it was heard from within the failure-detection window (always true for this node).</param>
/// <param name="LastSeen">When it was last heard from (null: never).</param>
/// <param name="Epoch">The epoch it last reported.</param>
/// <param name="Resources">The resources it homes, as it last reported them.</param>
/// <param name="InFlight">Its unfinished transactions, as last reported.</param>
public sealed record MemberStatus(string Address, bool IsMaster, bool Alive, DateTimeOffset? LastSeen, long Epoch, IReadOnlyList<string> Resources, int InFlight)
{
    /// <summary>Why the last heartbeat to it that failed did (null: none failed since this node started).</summary>
    public string? LastError { get; init; }

    /// <summary>When that heartbeat failed.</summary>
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>Heartbeats to it that failed since the last one it answered.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>Heartbeats to it that failed since this node started.</summary>
    public long Failures { get; init; }
}
