namespace Cohort.Cluster;

/// <summary>
/// What nodes tell each other every heartbeat (both the request and the reply): who they are, whom they follow
/// at which epoch, the membership list they hold with its version, and their own resources and load.
/// </summary>
/// <param name="Address">The sender.</param>
/// <param name="Epoch">The newest epoch the sender knows.</param>
/// <param name="Master">The master the sender follows at <paramref name="Epoch"/>, or null while there is none.</param>
/// <param name="MembersVersion">Version of <paramref name="Members"/>; raised by the master on every join, add and remove.</param>
/// <param name="Members">The member addresses the sender knows.</param>
/// <param name="Resources">The resources the sender homes.</param>
/// <param name="InFlight">Transactions not yet finished on the sender's engines.</param>
public sealed record HeartbeatMessage(
    string Address,
    long Epoch,
    string? Master,
    long MembersVersion,
    IReadOnlyList<string> Members,
    IReadOnlyList<string> Resources,
    int InFlight);
