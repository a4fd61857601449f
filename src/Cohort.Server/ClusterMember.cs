namespace Cohort.Server;

/// <summary>What the master knows of one node.</summary>
internal sealed class ClusterMember(string address, bool isMaster)
{
    public string Address { get; } = address;

    public bool IsMaster { get; set; } = isMaster;

    public bool Alive { get; set; } = true;

    public DateTimeOffset LastSeen { get; set; }

    public IReadOnlyList<string> Resources { get; set; } = [];
}
