namespace Cohort.Cli;

/// <summary>A duration option's value: the time span, shown in <c>--help</c> and messages as people write it (<c>1s</c>, not <c>00:00:01</c>).</summary>
internal readonly record struct Duration(TimeSpan Value)
{
    public override string ToString() => Durations.Show(Value);
}
