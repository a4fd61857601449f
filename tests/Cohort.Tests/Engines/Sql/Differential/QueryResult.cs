using System.Collections.Immutable;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>What a database answered: column names and rows, or the error it raised.</summary>
internal sealed record QueryResult(ImmutableArray<string> Columns, ImmutableArray<ImmutableArray<Value>> Rows, string? Error)
{
    public static QueryResult Failed(Exception error) => new([], [], $"{error.GetType().Name}: {error.Message}");

    public bool Succeeded => Error is null;
}
