using System.Collections.Immutable;
using Cohort.Core;
using Cohort.Sql.Storage;

namespace Cohort.Sql.Planning;

/// <summary>Grouping keys for DISTINCT, GROUP BY and hash joins: values compared as index keys are (NULLs equal to each other, 1 = 1.0).</summary>
internal static class RowKeys
{
    public static SqlKey Of(ReadOnlySpan<Value> values) => SqlKey.Row(string.Empty, ImmutableArray.Create(values));
}
