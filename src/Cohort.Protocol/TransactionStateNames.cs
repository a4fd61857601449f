namespace Cohort.Protocol;

/// <summary>The wire names of <see cref="TransactionState"/> (<c>active</c>, <c>in-doubt</c>, …), for nodes and clients alike.</summary>
public static class TransactionStateNames
{
    /// <summary>The wire name of <paramref name="state"/>.</summary>
    /// <param name="state">The state.</param>
    /// <returns>Its name; <c>unknown</c> for <see cref="TransactionState.Unknown"/>.</returns>
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

    /// <summary>Parses a wire name (as in <c>GET /v1/tx?state=in-doubt</c>); an unknown name gives <see cref="TransactionState.Unknown"/>.</summary>
    /// <param name="name">The wire name.</param>
    /// <returns>The state.</returns>
    public static TransactionState Parse(string? name) => name switch
    {
        "active" => TransactionState.Active,
        "preparing" => TransactionState.Preparing,
        "committing" => TransactionState.Committing,
        "committed" => TransactionState.Committed,
        "aborted" => TransactionState.Aborted,
        "in-doubt" or "in_doubt" or "indoubt" => TransactionState.InDoubt,
        _ => TransactionState.Unknown,
    };

    /// <summary>Parses a wire name; false when unknown.</summary>
    /// <param name="name">The wire name.</param>
    /// <param name="state">The state.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParse(string? name, out TransactionState state)
    {
        state = Parse(name);
        return state != TransactionState.Unknown;
    }
}
