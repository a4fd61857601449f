namespace Cohort.Cluster;

/// <summary>
/// Membership and placement kept outside the cluster agent, in one linearizable store every node watches (the etcd
/// backend): who the members are and which node homes each resource. With a directory the agent takes both from it
/// rather than from heartbeats, so every node agrees on them; heartbeats still carry liveness and load.
/// </summary>
public interface IClusterDirectory
{
    /// <summary>The newest view read, or null before the first read.</summary>
    ClusterDirectoryView? View { get; }

    /// <summary>Raised (on whichever thread read it) after <see cref="View"/> changed.</summary>
    event Action? Changed;

    /// <summary>
    /// Leader only: replaces the membership with <paramref name="members"/> if it is still at
    /// <paramref name="expectedVersion"/> (0: none was ever recorded) and this node still leads at
    /// <paramref name="epoch"/>. Returns the new version, which <see cref="View"/> shows on return.
    /// </summary>
    /// <exception cref="Core.CohortException">
    /// <c>no_leader</c> when this node does not lead at <paramref name="epoch"/> (nothing written);
    /// <c>unavailable</c> (transient) when the membership moved past <paramref name="expectedVersion"/> (the view is
    /// refreshed: retry against it) or the store cannot be reached.
    /// </exception>
    Task<long> WriteMembersAsync(long epoch, long expectedVersion, IReadOnlyList<string> members, CancellationToken cancellationToken);

    /// <summary>
    /// Records <paramref name="node"/> as the home of <paramref name="resource"/> unless a home is recorded already;
    /// returns the recorded home (<paramref name="node"/> when the claim won, or was this node's already).
    /// </summary>
    Task<string> ClaimAsync(string resource, string node, CancellationToken cancellationToken);

    /// <summary>Forgets <paramref name="resource"/>'s home if it is <paramref name="node"/>.</summary>
    Task ReleaseAsync(string resource, string node, CancellationToken cancellationToken);
}

/// <summary>What a <see cref="IClusterDirectory"/> holds at one moment.</summary>
/// <param name="MembersVersion">The membership's version; 0 while none was recorded (the first leader records its own).</param>
/// <param name="Members">The members' addresses.</param>
/// <param name="Homes">Every claimed resource with its home node.</param>
public sealed record ClusterDirectoryView(long MembersVersion, IReadOnlyList<string> Members, IReadOnlyDictionary<string, string> Homes);
