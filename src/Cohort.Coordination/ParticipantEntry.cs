using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>One participant of a transaction at the coordinator.</summary>
internal sealed class ParticipantEntry(string resource, string node)
{
    public string Resource { get; } = resource;

    public string Node { get; } = node;

    public Participant Participant => new(Resource, Node);

    /// <summary>Whether the participant answered that the transaction may have written there (in a batch: whether an operation sent there is not declared read-only).</summary>
    public bool MayWrite { get; set; }

    /// <summary>Operations sent (each numbered, so the participant can refuse duplicates and gaps).</summary>
    public int Operations { get; set; }

    public VoteKind? Vote { get; set; }

    public bool Acknowledged { get; set; }

    /// <summary>It voted read-only but keeps its shared locks until it is sent the commit timestamp (or an abort).</summary>
    public bool HoldsReadLocks { get; set; }

    /// <summary>For a No vote: the error code behind it, when one is known.</summary>
    public string? RefusalCode { get; set; }
}
