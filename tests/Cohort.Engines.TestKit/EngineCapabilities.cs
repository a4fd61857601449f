namespace Cohort.Engines.TestKit;

/// <summary>
/// What an engine does beyond the participant contract every engine keeps. A conformance case that needs a capability
/// is skipped, with the engine's reason, for an engine that does not claim it.
/// </summary>
[Flags]
public enum EngineCapabilities
{
    /// <summary>Only the common contract.</summary>
    None = 0,

    /// <summary>
    /// Conflicts are decided by wound-wait on <c>TxId</c> age: an older writer wounds (aborts) a younger active holder
    /// instead of waiting for it. Engines without it make every writer wait (and may detect deadlocks otherwise).
    /// </summary>
    WoundWait = 1 << 0,

    /// <summary>
    /// Reads in a read-write transaction take shared locks, kept until commit or abort once the transaction prepared,
    /// so a writer of an item the transaction read waits for it.
    /// </summary>
    ReadLocksUntilCommit = 1 << 1,

    /// <summary>
    /// <c>ReadAsync</c> reads as of its snapshot timestamp (<c>AS OF</c>): it does not see later commits, and waits for a
    /// prepared write whose prepare timestamp is at or before it.
    /// </summary>
    TimestampedSnapshots = 1 << 2,

    /// <summary>A prepared transaction recovered after a crash still names the coordinator given to prepare.</summary>
    RecoversCoordinator = 1 << 3,

    /// <summary>Every capability (an engine that claims them all).</summary>
    All = WoundWait | ReadLocksUntilCommit | TimestampedSnapshots | RecoversCoordinator,
}
