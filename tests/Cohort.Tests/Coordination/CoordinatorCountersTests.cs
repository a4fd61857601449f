using Cohort.Coordination;

namespace Cohort.Tests.Coordination;

public sealed class CoordinatorCountersTests
{
    [Fact]
    public void Record_CountsEachOutcome_AbortsByTheirCode_UnknownCodesAsOther()
    {
        var counters = new CoordinatorCounters();

        counters.Record(TxOutcome.Committed(default));
        counters.Record(TxOutcome.Committed(default));
        counters.Record(TxOutcome.Aborted("by request"));
        counters.Record(TxOutcome.Aborted("late", ErrorCodes.Expired));
        counters.Record(TxOutcome.Aborted("late", ErrorCodes.Expired));
        counters.Record(TxOutcome.Aborted("strange", "no_such_code"));
        counters.Record(TxOutcome.InDoubt("lost"));

        Assert.Equal(2, counters.Committed);
        Assert.Equal(1, counters.InDoubt);
        var aborted = counters.Aborted().ToDictionary(a => a.Reason, a => a.Count);
        Assert.Equal(CoordinatorCounters.Reasons, aborted.Keys);
        Assert.Equal(1, aborted[ErrorCodes.Aborted]);
        Assert.Equal(2, aborted[ErrorCodes.Expired]);
        Assert.Equal(1, aborted[CoordinatorCounters.OtherReason]);
        Assert.Equal(0, aborted[ErrorCodes.Wounded]);
        Assert.Equal(4, aborted.Values.Sum());
    }
}
