using System.Diagnostics;

namespace Cohort.Core;

/// <summary>
/// Named places where a test can make a process die, to prove what survives a crash exactly there. A child
/// process is armed with the environment variable <c>COHORT_CRASH_AT=&lt;name&gt;</c>; the first time it reaches that
/// point it kills itself (SIGKILL: no cleanup, no flush). Unarmed, a crash point is one comparison with null.
/// </summary>
public static class CrashPoints
{
    /// <summary>The environment variable naming the armed crash point.</summary>
    public const string EnvironmentVariable = "COHORT_CRASH_AT";

    /// <summary>Coordinator: every participant voted yes; the decision is not yet written.</summary>
    public const string CoordinatorAfterVotes = "coordinator.after-votes";

    /// <summary>Coordinator: the commit decision is durable; no participant has been told and the client has no answer.</summary>
    public const string CoordinatorAfterDecision = "coordinator.after-decision";

    /// <summary>Coordinator: one participant acknowledged phase 2, others may not have.</summary>
    public const string CoordinatorDuringPhaseTwo = "coordinator.during-phase-two";

    /// <summary>Participant: its prepare is durable and it voted yes; the coordinator has not heard the vote.</summary>
    public const string ParticipantAfterPrepareDurable = "participant.after-prepare-durable";

    /// <summary>Participant: phase 2 commit received, not yet applied.</summary>
    public const string ParticipantDuringPhaseTwo = "participant.during-phase-two";

    /// <summary>Storage: a checkpoint's snapshot is written; the log segments it covers are not deleted yet.</summary>
    public const string SnapshotBeforeTruncate = "storage.snapshot-before-truncate";

    private static readonly string? Armed = Environment.GetEnvironmentVariable(EnvironmentVariable);

    /// <summary>Dies here if this point is armed.</summary>
    public static void Hit(string name)
    {
        if (Armed is not null && string.Equals(Armed, name, StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"CRASH {name}");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
        }
    }
}
