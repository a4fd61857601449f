using System.Runtime.CompilerServices;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>
/// When a coordinator transaction entered each of its states, by the coordinator's <see cref="TimeProvider"/>: a few
/// values kept inline in the transaction's record (and copied into what is kept of it once finished), so recording a
/// step allocates nothing. The longest path the transition table allows is five states (active, preparing, in-doubt,
/// committing, committed); a step beyond <see cref="Capacity"/> replaces the last one kept.
/// </summary>
internal struct TransactionTimeline
{
    /// <summary>How many steps are kept.</summary>
    public const int Capacity = 6;

    private Ticks _at;
    private States _states;
    private byte _count;

    /// <summary>How many steps are recorded.</summary>
    public readonly int Count => _count;

    /// <summary>Records that the transaction entered <paramref name="state"/> at <paramref name="at"/>.</summary>
    public void Add(TransactionState state, DateTimeOffset at)
    {
        var index = _count < Capacity ? _count++ : Capacity - 1;
        _at[index] = at.UtcTicks;
        _states[index] = (byte)state;
    }

    /// <summary>The steps, oldest first.</summary>
    public readonly TransactionStateChange[] ToArray()
    {
        var steps = new TransactionStateChange[_count];
        for (var i = 0; i < steps.Length; i++)
        {
            steps[i] = new TransactionStateChange((TransactionState)_states[i], new DateTimeOffset(_at[i], TimeSpan.Zero));
        }

        return steps;
    }

    [InlineArray(Capacity)]
    private struct Ticks
    {
        private long _element;
    }

    [InlineArray(Capacity)]
    private struct States
    {
        private byte _element;
    }
}
