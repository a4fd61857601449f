using System.Collections.Immutable;

namespace Cohort.Sql.Storage;

/// <summary>A secondary index of a <see cref="TableSchema"/> (UNIQUE constraints are unique indexes too).</summary>
/// <param name="Name">The index name (normalized).</param>
/// <param name="Columns">The indexed columns, as indexes into <see cref="TableSchema.Columns"/>, in key order.</param>
/// <param name="Unique">Whether two rows may not have equal non-NULL values in these columns.</param>
internal sealed record IndexSchema(
    string Name,
    ImmutableArray<int> Columns,
    bool Unique);
