using Cohort.Coordination;
using Cohort.Core;

namespace Cohort.Tests.Coordination;

/// <summary>Wraps a transport and holds every prepare until <see cref="Release"/> is called.</summary>
internal sealed class BlockingTransport(IParticipantTransport inner) : IParticipantTransport
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Blocking { get; set; }

    public Task PrepareReached => _reached.Task;

    public void Release() => _gate.TrySetResult();

    public ValueTask<Value> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken) => inner.ApplyAsync(node, request, cancellationToken);

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

    public ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken) => inner.CommitAsync(node, request, cancellationToken);

    public ValueTask CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken) => inner.CommitOnePhaseAsync(node, request, cancellationToken);

    public ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken) => inner.AbortAsync(node, request, cancellationToken);
}
