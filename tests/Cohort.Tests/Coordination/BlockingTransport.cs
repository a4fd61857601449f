using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination;

/// <summary>
/// Wraps a transport and holds every prepare (while <see cref="Blocking"/>) until <see cref="Release"/>, and every
/// phase-two commit (while <see cref="BlockingCommits"/>) until <see cref="ReleaseCommits"/>.
/// </summary>
internal sealed class BlockingTransport(IParticipantTransport inner) : IParticipantTransport
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _commitGate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool BlockingCommits { get; set; }

    /// <summary>Released once for every phase-two commit that reached the transport while <see cref="BlockingCommits"/>.</summary>
    public SemaphoreSlim CommitsReached { get; } = new(0);

    public void ReleaseCommits() => _commitGate.TrySetResult();

    public bool Blocking { get; set; }

    public Task PrepareReached => _reached.Task;

    public void Release() => _gate.TrySetResult();

    public ValueTask<ApplyAnswer> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken) => inner.ApplyAsync(node, request, cancellationToken);

    public async ValueTask<Vote> PrepareAsync(string node, PrepareRequest request, CancellationToken cancellationToken)
    {
        if (Blocking)
        {
            _reached.TrySetResult();
            await _gate.Task.WaitAsync(cancellationToken);
        }

        return await inner.PrepareAsync(node, request, cancellationToken);
    }

    public ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(string node, BatchPrepareRequest request, CancellationToken cancellationToken) => inner.ApplyAndPrepareAsync(node, request, cancellationToken);

    public async ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken)
    {
        if (BlockingCommits)
        {
            CommitsReached.Release();
            await _commitGate.Task.WaitAsync(cancellationToken);
        }

        await inner.CommitAsync(node, request, cancellationToken);
    }

    public ValueTask<HlcTimestamp> CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(node, request, cancellationToken);

    public ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken) => inner.AbortAsync(node, request, cancellationToken);
}
