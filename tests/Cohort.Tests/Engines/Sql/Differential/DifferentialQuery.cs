using System.Collections.Immutable;

namespace Cohort.Tests.Engines.Sql.Differential;

/// <summary>
/// One query of the differential corpus. <paramref name="Ordered"/> says the ORDER BY fixes the order of
/// every row (it ends in a unique key), so the rows compare in sequence; otherwise as a multiset.
/// Parameters are <c>$n</c> or <c>?</c> placeholders bound to <paramref name="Parameters"/> in order.
/// </summary>
internal sealed record DifferentialQuery(string Id, string Sql, bool Ordered, ImmutableArray<Value> Parameters)
{
    public override string ToString() =>
        Parameters.IsDefaultOrEmpty ? Sql : $"{Sql}  -- params [{string.Join(", ", Parameters)}]";
}
