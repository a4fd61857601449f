using System.Collections.Immutable;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>Every query the differential tests run: the hand-written ones, then <see cref="GeneratedCount"/> generated from <see cref="GeneratorSeed"/>.</summary>
internal static class DifferentialCorpus
{
    public const int GeneratorSeed = 4_2026;
    public const int GeneratedCount = 200;

    public static ImmutableArray<DifferentialQuery> All { get; } =
        [.. HandWrittenQueries.All, .. new QueryGenerator(GeneratorSeed).Generate(GeneratedCount)];

    public static ImmutableDictionary<string, DifferentialQuery> ById { get; } = All.ToImmutableDictionary(q => q.Id);
}
