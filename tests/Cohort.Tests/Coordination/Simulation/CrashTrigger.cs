namespace Cohort.Tests.Coordination.Simulation;

/// <summary>
/// A crash tied to protocol progress rather than to time: when the network carries the <paramref name="Occurrence"/>-th
/// message of <paramref name="Kind"/>, the coordinator (its sender) or the node it is addressed to crashes, before the
/// message is delivered or after it was handled but before the reply gets back, and restarts after <paramref name="DownMs"/>.
/// </summary>
internal sealed record CrashTrigger(string Kind, int Occurrence, bool Coordinator, bool AfterDelivery, int DownMs)
{
    public override string ToString() => $"{(Coordinator ? "coordinator" : "receiver")} {(AfterDelivery ? "after" : "before")} {Kind} #{Occurrence}, down {DownMs} ms";
}
