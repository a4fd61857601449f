namespace Cohort.Storage.Locking;

/// <summary>Lock modes; shared locks are compatible with each other only.</summary>
public enum LockMode : byte
{
    /// <summary>Read lock.</summary>
    Shared = 1,

    /// <summary>Write lock.</summary>
    Exclusive = 2,
}
