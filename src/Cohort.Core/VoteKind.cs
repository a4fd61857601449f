namespace Cohort.Core;

/// <summary>A participant's answer to prepare.</summary>
public enum VoteKind : byte
{
    /// <summary>Prepared durably; the participant will commit or abort as told.</summary>
    Yes = 1,
    /// <summary>
    /// The transaction wrote nothing here. Its shared locks are released at once, unless the coordinator asked the
    /// participant to keep them (<see cref="PrepareInfo.KeepReadLocks"/>: another participant may write); then they are
    /// kept until the outcome arrives, and the commit carries the timestamp the participant's clock must move past.
    /// </summary>
    ReadOnly = 2,
    /// <summary>The participant cannot commit; the transaction must abort.</summary>
    No = 3,
}
