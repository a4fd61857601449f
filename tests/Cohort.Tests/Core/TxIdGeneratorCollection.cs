namespace Cohort.Tests.Core;

/// <summary>Tests that need TxId's process-wide counter to themselves run outside any parallel collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TxIdGeneratorCollection
{
    public const string Name = "TxId generator";
}
