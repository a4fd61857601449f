namespace Cohort.Protocol;

/// <summary>The coordinator's answer to a participant asking how a prepared transaction ended.</summary>
public enum DecisionAnswerKind : byte
{
    /// <summary>Committed: apply the writes at the given timestamp.</summary>
    Committed = 1,

    /// <summary>Aborted, or never decided and no longer active (presumed abort): discard the writes.</summary>
    Aborted = 2,

    /// <summary>Still being decided (or the coordinator cannot tell yet): ask again later.</summary>
    Pending = 3,
}
