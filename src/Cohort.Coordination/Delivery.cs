using Cohort.Core;

namespace Cohort.Coordination;

/// <summary>How a message to a participant or a coordinator can fail, decided once for the protocol.</summary>
public static class Delivery
{
    /// <summary>
    /// Whether <paramref name="error"/> is a failed delivery or a refusal the protocol handles (see
    /// <see cref="IParticipantTransport"/>), rather than a bug: a <see cref="CohortException"/>, a timeout, a
    /// cancellation, or an I/O failure that a transport let through.
    /// </summary>
    /// <param name="error">What the call threw.</param>
    /// <returns>True when the caller treats the message as refused or lost.</returns>
    public static bool Failed(Exception error) => error is CohortException or OperationCanceledException or TimeoutException or IOException;
}
