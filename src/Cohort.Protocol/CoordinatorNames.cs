namespace Cohort.Protocol;

/// <summary>Names a participant records as the coordinator of a prepared transaction, besides node names.</summary>
public static class CoordinatorNames
{
    /// <summary>
    /// The seed API's client decides its own transactions (through <c>/commit</c> or <c>/abort</c>); a participant
    /// holding one prepared has nobody to ask and waits for that call.
    /// </summary>
    public const string SeedClient = "client:seed";
}
