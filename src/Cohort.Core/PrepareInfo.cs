namespace Cohort.Core;

/// <summary>What the coordinator passes to prepare, kept with the prepare record for recovery.</summary>
/// <param name="Coordinator">Where to ask for the decision after a crash (an address or node id); may be null in-process.</param>
public readonly record struct PrepareInfo(string? Coordinator);
