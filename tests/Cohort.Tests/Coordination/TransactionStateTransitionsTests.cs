using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination;

/// <summary>The coordinator's table of allowed state transitions and the guard that enforces it.</summary>
public sealed class TransactionStateTransitionsTests
{
    public static TheoryData<TransactionState, TransactionState> AllowedPairs() => new()
    {
        { TransactionState.Active, TransactionState.Preparing },
        { TransactionState.Active, TransactionState.Aborted },
        { TransactionState.Preparing, TransactionState.Committing },
        { TransactionState.Preparing, TransactionState.Committed },
        { TransactionState.Preparing, TransactionState.Aborted },
        { TransactionState.Preparing, TransactionState.InDoubt },
        { TransactionState.Committing, TransactionState.Committed },
        { TransactionState.InDoubt, TransactionState.Committed },
        { TransactionState.InDoubt, TransactionState.Aborted },

        // A decision write that ended in doubt, found recorded in a shared (etcd) decision log: phase two follows.
        { TransactionState.InDoubt, TransactionState.Committing },
    };

    public static TheoryData<TransactionState, TransactionState> RefusedPairs() => new()
    {
        // Out of the terminal states.
        { TransactionState.Committed, TransactionState.Aborted },
        { TransactionState.Committed, TransactionState.Committing },
        { TransactionState.Committed, TransactionState.Active },
        { TransactionState.Aborted, TransactionState.Committed },
        { TransactionState.Aborted, TransactionState.Committing },
        { TransactionState.Aborted, TransactionState.Preparing },
        { TransactionState.Aborted, TransactionState.InDoubt },

        // A decided commit never turns into anything but committed.
        { TransactionState.Committing, TransactionState.Aborted },
        { TransactionState.Committing, TransactionState.InDoubt },
        { TransactionState.Committing, TransactionState.Preparing },

        // Skipping prepare, going back, standing still.
        { TransactionState.Active, TransactionState.Committing },
        { TransactionState.Active, TransactionState.Committed },
        { TransactionState.Active, TransactionState.InDoubt },
        { TransactionState.Preparing, TransactionState.Active },
        { TransactionState.InDoubt, TransactionState.Preparing },
        { TransactionState.Active, TransactionState.Active },
        { TransactionState.Preparing, TransactionState.Preparing },
        { TransactionState.InDoubt, TransactionState.InDoubt },

        // Unknown is a wire value, never a coordinator state.
        { TransactionState.Unknown, TransactionState.Active },
        { TransactionState.Active, TransactionState.Unknown },
    };

    [Theory]
    [MemberData(nameof(AllowedPairs))]
    public void IsAllowed_ForEveryTransitionTheCoordinatorMakes_IsTrue(TransactionState from, TransactionState to)
        => Assert.True(TransactionStateTransitions.IsAllowed(from, to), $"{from} -> {to}");

    [Theory]
    [MemberData(nameof(RefusedPairs))]
    public void IsAllowed_ForAnIllegalTransition_IsFalse(TransactionState from, TransactionState to)
        => Assert.False(TransactionStateTransitions.IsAllowed(from, to), $"{from} -> {to}");

    [Fact]
    public void Table_HoldsExactlyTheListedPairs()
    {
        var expected = AllowedPairs().Select(row => ((TransactionState)row[0], (TransactionState)row[1])).ToHashSet();
        Assert.Equal(expected, TransactionStateTransitions.All.ToHashSet());
        foreach (var from in Enum.GetValues<TransactionState>())
        {
            foreach (var to in Enum.GetValues<TransactionState>())
            {
                Assert.Equal(expected.Contains((from, to)), TransactionStateTransitions.IsAllowed(from, to));
            }
        }
    }

    [Fact]
    public void IsTerminal_CommittedAndAborted_AreTerminal_OthersAreNot()
    {
        Assert.True(TransactionStateTransitions.IsTerminal(TransactionState.Committed));
        Assert.True(TransactionStateTransitions.IsTerminal(TransactionState.Aborted));
        Assert.False(TransactionStateTransitions.IsTerminal(TransactionState.Active));
        Assert.False(TransactionStateTransitions.IsTerminal(TransactionState.Preparing));
        Assert.False(TransactionStateTransitions.IsTerminal(TransactionState.Committing));
        Assert.False(TransactionStateTransitions.IsTerminal(TransactionState.InDoubt));
    }

    [Fact]
    public void TransitionTo_AlongAllowedPath_ChangesState()
    {
        var tx = NewTransaction();
        lock (tx.Sync)
        {
            tx.TransitionTo(TransactionState.Preparing);
            tx.TransitionTo(TransactionState.InDoubt);
            tx.TransitionTo(TransactionState.Committed);
        }

        Assert.Equal(TransactionState.Committed, tx.State);
    }

    [Fact]
    public void TransitionTo_OutOfAborted_ThrowsInternalError_AndKeepsState()
    {
        var tx = NewTransaction();
        lock (tx.Sync)
        {
            tx.TransitionTo(TransactionState.Aborted);
            var e = Assert.Throws<CohortException>(() => tx.TransitionTo(TransactionState.Committing));
            Assert.Equal(ErrorCodes.Internal, e.Code);
            Assert.Contains("Aborted -> Committing", e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(TransactionState.Aborted, tx.State);
    }

    [Fact]
    public void TransitionTo_SkippingPrepare_ThrowsInternalError()
    {
        var tx = NewTransaction();
        lock (tx.Sync)
        {
            var e = Assert.Throws<CohortException>(() => tx.TransitionTo(TransactionState.Committed));
            Assert.Equal(ErrorCodes.Internal, e.Code);
        }

        Assert.Equal(TransactionState.Active, tx.State);
    }

    [Fact]
    public void TransitionTo_WithoutHoldingTheLock_ThrowsInternalError()
    {
        var tx = NewTransaction();
        var e = Assert.Throws<CohortException>(() => tx.TransitionTo(TransactionState.Preparing));
        Assert.Equal(ErrorCodes.Internal, e.Code);
        Assert.Equal(TransactionState.Active, tx.State);
    }

    [Fact]
    public void Recovered_StartsCommitting_AndMayOnlyFinishCommitted()
    {
        var tx = new CoordinatorTransaction(TxId.NewId(), null, DateTimeOffset.UnixEpoch, TransactionState.Committing);
        Assert.Equal(TransactionState.Committing, tx.State);
        lock (tx.Sync)
        {
            Assert.Throws<CohortException>(() => tx.TransitionTo(TransactionState.Aborted));
            tx.TransitionTo(TransactionState.Committed);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new CoordinatorTransaction(TxId.NewId(), null, DateTimeOffset.UnixEpoch, TransactionState.Aborted));
    }

    private static CoordinatorTransaction NewTransaction() => new(TxId.NewId(), "t", DateTimeOffset.UnixEpoch);
}
