namespace Cohort.Storage.Wal;

/// <summary>When an appended record counts as written.</summary>
public enum DurabilityMode
{
    /// <summary>After fsync: survives power loss. The default.</summary>
    Fsync = 0,

    /// <summary>After the write system call only: survives a process crash, not a power loss. For benchmarks only.</summary>
    None = 1,
}
