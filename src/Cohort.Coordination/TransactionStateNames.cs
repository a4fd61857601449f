namespace Cohort.Coordination;

/// <summary>The wire names of <see cref="TransactionState"/> (<c>active</c>, <c>in-doubt</c>, …).</summary>
public static class TransactionStateNames
{
    /// <summary>The wire name of <paramref name="state"/>.</summary>
    public static string ToWireName(this TransactionState state) => state switch
    {
        TransactionState.Active => "active",
        TransactionState.Preparing => "preparing",
        TransactionState.Committing => "committing",
        TransactionState.Committed => "committed",
        TransactionState.Aborted => "aborted",
        TransactionState.InDoubt => "in-doubt",
        _ => "unknown",
    };

    /// <summary>Parses a wire name (as in <c>GET /v1/tx?state=in-doubt</c>); false when unknown.</summary>
    public static bool TryParse(string? name, out TransactionState state)
    {
        state = name switch
        {
            "active" => TransactionState.Active,
            "preparing" => TransactionState.Preparing,
            "committing" => TransactionState.Committing,
            "committed" => TransactionState.Committed,
            "aborted" => TransactionState.Aborted,
            "in-doubt" or "in_doubt" or "indoubt" => TransactionState.InDoubt,
            _ => 0,
        };
        return state != 0;
    }
}
