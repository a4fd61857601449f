using System.Runtime.CompilerServices;

namespace Cohort.Simulation.Runtime;

/// <summary>Process-wide settings of the simulation, applied when the test assembly loads, before any test runs.</summary>
internal static class SimModule
{
    /// <summary>Transaction ids hash with a fixed key here, so a seed's run replays the same in any process.</summary>
    [ModuleInitializer]
    internal static void Initialize() => TxId.FixHashSeed(0x5EED_C0DE_0000_0001UL);
}
