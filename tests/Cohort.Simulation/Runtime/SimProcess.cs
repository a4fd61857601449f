namespace Cohort.Simulation.Runtime;

/// <summary>
/// One life of a simulated process (a node or a coordinator): the steps and timers it schedules run only while it is
/// alive, so a crash stops it dead between two steps, as SIGKILL would. A restart is a new <see cref="SimProcess"/>.
/// </summary>
internal sealed class SimProcess(string name, int incarnation)
{
    private List<Action>? _onDeath = [];

    public string Name { get; } = name;

    public int Incarnation { get; } = incarnation;

    public bool Alive { get; private set; } = true;

    /// <summary>Stopped (SIGSTOP): its steps wait until it resumes.</summary>
    public bool Paused { get; internal set; }

    /// <summary>Runs <paramref name="action"/> when this process dies (at once if it is dead).</summary>
    public void OnDeath(Action action)
    {
        if (_onDeath is null)
        {
            action();
            return;
        }

        _onDeath.Add(action);
    }

    internal void Die()
    {
        if (!Alive)
        {
            return;
        }

        Alive = false;
        var actions = _onDeath!;
        _onDeath = null;
        foreach (var action in actions)
        {
            action();
        }
    }

    public override string ToString() => $"{Name}#{Incarnation}";
}
