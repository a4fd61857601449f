namespace Cohort.Core;

/// <summary>A participant's answer to prepare.</summary>
public enum VoteKind : byte
{
    /// <summary>Prepared durably; the participant will commit or abort as told.</summary>
    Yes = 1,
    /// <summary>The transaction wrote nothing here; locks are released and phase 2 is not needed.</summary>
    ReadOnly = 2,
    /// <summary>The participant cannot commit; the transaction must abort.</summary>
    No = 3,
}
