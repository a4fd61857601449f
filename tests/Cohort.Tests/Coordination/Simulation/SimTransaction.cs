namespace Cohort.Tests.Coordination.Simulation;

/// <summary>One transaction of the workload and what its client was told.</summary>
internal sealed class SimTransaction(int ordinal, IReadOnlyList<string> resources, bool batch, string? hotResource)
{
    public int Ordinal { get; } = ordinal;

    public IReadOnlyList<string> Resources { get; } = resources;

    public bool Batch { get; } = batch;

    public string? HotResource { get; } = hotResource;

    public SimOutcome Told { get; set; } = SimOutcome.NoAnswer;

    public string? Detail { get; set; }

    public override string ToString() => $"tx #{Ordinal} ({(Batch ? "batch" : "interactive")} on {string.Join(", ", Resources)}; told {Told}{(Detail is null ? "" : $": {Detail}")})";
}
