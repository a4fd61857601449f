using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Coordination;

/// <summary>
/// Sends protocol messages to the participant host of a node (HTTP between processes, a direct call in
/// process, a simulated network in tests).
/// </summary>
/// <remarks>
/// A participant's refusal arrives as a <see cref="CohortException"/> with its code (<see cref="ErrorCatalog"/> says
/// whether it proves the message had no effect). A <see cref="CohortException"/> with code
/// <see cref="ErrorCodes.Unavailable"/>, a <see cref="TimeoutException"/> or cancellation means the message may or may
/// not have been delivered and acted on. An implementation turns its own failures (HTTP, sockets) into these at its
/// boundary, so that the protocol never sees a transport's exception types (<see cref="Delivery.Failed"/>).
/// </remarks>
public interface IParticipantTransport
{
    /// <summary>Runs an operation.</summary>
    ValueTask<ApplyAnswer> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken);

    /// <summary>Phase one.</summary>
    ValueTask<Vote> PrepareAsync(string node, PrepareRequest request, CancellationToken cancellationToken);

    /// <summary>Operations then prepare (or one-phase commit), in one message.</summary>
    ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(string node, BatchPrepareRequest request, CancellationToken cancellationToken);

    /// <summary>Phase two (commit).</summary>
    ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken);

    /// <summary>One-phase commit of the only writer; returns the timestamp it committed at.</summary>
    ValueTask<HlcTimestamp> CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken);

    /// <summary>Abort.</summary>
    ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken);
}
