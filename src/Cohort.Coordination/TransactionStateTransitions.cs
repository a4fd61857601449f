using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>
/// The transitions a coordinator transaction may make between <see cref="TransactionState"/>s, in one table (the shape of
/// Tsavorite's <c>StateTransitions</c>). <see cref="CoordinatorTransaction.TransitionTo"/> checks every change against it.
/// </summary>
/// <remarks>
/// A transaction recovered from the decision log is created in <see cref="TransactionState.Committing"/>; it never
/// passes through <see cref="TransactionState.Active"/>, so "active → committing" is not a transition.
/// <see cref="TransactionState.Committed"/> and <see cref="TransactionState.Aborted"/> are terminal, and no state
/// moves to itself: a repeated change is a second writer racing the first.
/// </remarks>
internal static class TransactionStateTransitions
{
    private static readonly (TransactionState From, TransactionState To)[] Allowed =
    [
        // Commit starts (or a batch is sent); an abort by request, at the deadline or after a failed operation.
        (TransactionState.Active, TransactionState.Preparing),
        (TransactionState.Active, TransactionState.Aborted),

        // The decision is durable; committed without a decision (no writer, one-phase); a No vote or a failure before
        // the decision; the decision log failed or the single writer did not confirm.
        (TransactionState.Preparing, TransactionState.Committing),
        (TransactionState.Preparing, TransactionState.Committed),
        (TransactionState.Preparing, TransactionState.Aborted),
        (TransactionState.Preparing, TransactionState.InDoubt),

        // Every participant acknowledged the decision.
        (TransactionState.Committing, TransactionState.Committed),

        // The single writer finally said whether its one-phase commit happened.
        (TransactionState.InDoubt, TransactionState.Committed),
        (TransactionState.InDoubt, TransactionState.Aborted),

        // A decision write that ended in doubt turned out recorded in a shared decision log: phase two follows.
        (TransactionState.InDoubt, TransactionState.Committing),
    ];

    private static readonly bool[,] Table = Build();

    /// <summary>Every allowed (from, to) pair.</summary>
    public static IReadOnlyList<(TransactionState From, TransactionState To)> All => Allowed;

    /// <summary>Whether a transaction in <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool IsAllowed(TransactionState from, TransactionState to)
    {
        var f = (int)from;
        var t = (int)to;
        return f < Table.GetLength(0) && t < Table.GetLength(1) && Table[f, t];
    }

    /// <summary>Whether no transition leaves <paramref name="state"/>.</summary>
    public static bool IsTerminal(TransactionState state)
    {
        foreach (var (from, _) in Allowed)
        {
            if (from == state)
            {
                return false;
            }
        }

        return true;
    }

    private static bool[,] Build()
    {
        var size = Enum.GetValues<TransactionState>().Max(s => (int)s) + 1;
        var table = new bool[size, size];
        foreach (var (from, to) in Allowed)
        {
            table[(int)from, (int)to] = true;
        }

        return table;
    }
}
