using Cohort.Coordination;
using Cohort.Protocol;

namespace Cohort.Tests.Coordination;

/// <summary>Wraps a transport; messages matching <see cref="Fail"/> throw as if the network lost them.</summary>
internal sealed class FaultyTransport(IParticipantTransport inner) : IParticipantTransport
{
    /// <summary>(node, message kind) → whether to lose it. Kinds: apply, prepare, batch, commit, commit1pc, abort.</summary>
    public Func<string, string, bool> Fail { get; set; } = (_, _) => false;

    public int Lost { get; private set; }

    public ValueTask<ApplyAnswer> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken) =>
        Check(node, "apply") ? inner.ApplyAsync(node, request, cancellationToken) : throw Lose(node);

    public ValueTask<Vote> PrepareAsync(string node, PrepareRequest request, CancellationToken cancellationToken) =>
        Check(node, "prepare") ? inner.PrepareAsync(node, request, cancellationToken) : throw Lose(node);

    public ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(string node, BatchPrepareRequest request, CancellationToken cancellationToken) =>
        Check(node, "batch") ? inner.ApplyAndPrepareAsync(node, request, cancellationToken) : throw Lose(node);

    public ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken) =>
        Check(node, "commit") ? inner.CommitAsync(node, request, cancellationToken) : throw Lose(node);

    public ValueTask<HlcTimestamp> CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken) =>
        Check(node, "commit1pc") ? inner.CommitOnePhaseAsync(node, request, cancellationToken) : throw Lose(node);

    public ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken) =>
        Check(node, "abort") ? inner.AbortAsync(node, request, cancellationToken) : throw Lose(node);

    private bool Check(string node, string kind) => !Fail(node, kind);

    private IOException Lose(string node)
    {
        Lost++;
        return new IOException($"simulated: message to {node} lost");
    }
}
