using Cohort.Protocol;
using Cohort.Core.Execution;

namespace Cohort.Coordination;

/// <summary>What a participant host tracks of a transaction at one resource until it is prepared or finished.</summary>
internal sealed class HostTransaction(DateTimeOffset deadline)
{
    public Lock Sync { get; } = new();

    public DateTimeOffset Deadline { get; set; } = deadline;

    /// <summary>Operations accepted so far (their sequence numbers were 1…Applied).</summary>
    public int Applied { get; set; }

    /// <summary>Whether a batch message for the transaction has arrived (a second one is a duplicate).</summary>
    public bool BatchStarted => Batch is not null;

    /// <summary>The answer to the first batch message; duplicates wait for it and repeat it.</summary>
    public Promise<BatchPrepareResult>? Batch { get; set; }
}
