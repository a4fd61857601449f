namespace Cohort.Core;

/// <summary>What an error code means for the request that met it and for its transaction (see <see cref="ErrorCatalog"/>).</summary>
/// <param name="Code">The stable code (<see cref="ErrorCodes"/>).</param>
/// <param name="Status">The HTTP status a problem answer with this code carries.</param>
/// <param name="IsTransient">Whether running the whole transaction again may succeed (a conflict, a timeout, an outage).</param>
/// <param name="AbortsTransaction">Whether the transaction the request belonged to can no longer commit.</param>
/// <param name="NeverRan">
/// Whether the answer proves the request had no effect, so that sending it again is safe. A refusal before anything ran
/// (no master, bad input) proves it; a lost or failed call (<c>unavailable</c>, <c>disposed</c>) does not.
/// </param>
public readonly record struct ErrorInfo(string Code, int Status, bool IsTransient, bool AbortsTransaction, bool NeverRan);
