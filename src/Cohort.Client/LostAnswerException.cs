namespace Cohort.Client;

/// <summary>A request that changes state may have run, but its answer never came back (raised inside the client only).</summary>
internal sealed class LostAnswerException(string? detail, int? statusCode)
    : CohortClientException(Cohort.Core.ErrorCodes.Unavailable, detail ?? "the answer was lost", statusCode, isTransient: true);
