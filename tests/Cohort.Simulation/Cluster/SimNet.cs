using System.Globalization;
using Cohort.Coordination;
using Cohort.Protocol;
using Cohort.Simulation.Runtime;
using Cohort.Simulation.Workload;

namespace Cohort.Simulation.Cluster;

/// <summary>
/// The simulated network between the coordinator and the nodes: each message may be lost, duplicated, delayed (so
/// messages overtake each other) or have its reply lost, and a cut link loses everything until it heals. A message to
/// a process that is down fails as a refused connection; one whose receiver dies before replying fails as a reset.
/// Every fate is drawn from the run's seeded random and written to the trace.
/// </summary>
internal sealed class SimNet(SimCluster cluster) : IParticipantTransport, IDecisionSource
{
    private readonly HashSet<string> _cut = new(StringComparer.Ordinal);

    /// <summary>Whether messages misbehave; false once the run heals the network for its final checks.</summary>
    public bool Faulty { get; set; } = true;

    public int Lost { get; private set; }

    public int Duplicated { get; private set; }

    public int Sent { get; private set; }

    /// <summary>Cuts the link between <paramref name="a"/> and <paramref name="b"/> both ways.</summary>
    public void Cut(string a, string b)
    {
        _cut.Add(Link(a, b));
        cluster.Trace($"cut {a} <-> {b}");
    }

    public void Heal(string a, string b)
    {
        _cut.Remove(Link(a, b));
        cluster.Trace($"heal {a} <-> {b}");
    }

    public void HealAll()
    {
        _cut.Clear();
        cluster.Trace("heal all links");
    }

    public ValueTask<ApplyAnswer> ApplyAsync(string node, ApplyRequest request, CancellationToken cancellationToken) =>
        SendAsync("apply", node, request.TxId, request.Resource, h => h.ApplyAsync(request, CancellationToken.None), cancellationToken);

    public ValueTask<Vote> PrepareAsync(string node, PrepareRequest request, CancellationToken cancellationToken) =>
        SendAsync("prepare", node, request.TxId, request.Resource, h => h.PrepareAsync(request, CancellationToken.None), cancellationToken);

    public ValueTask<BatchPrepareResult> ApplyAndPrepareAsync(string node, BatchPrepareRequest request, CancellationToken cancellationToken)
    {
        cluster.Workload.Recognise(request.TxId, request.Operations);
        return SendAsync("batch", node, request.TxId, request.Resource, h => h.ApplyAndPrepareAsync(request, CancellationToken.None), cancellationToken);
    }

    public async ValueTask CommitAsync(string node, CommitRequest request, CancellationToken cancellationToken) =>
        await SendAsync("commit", node, request.TxId, request.Resource, async h => { await h.CommitAsync(request, CancellationToken.None).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);

    public ValueTask<HlcTimestamp> CommitOnePhaseAsync(string node, OnePhaseCommitRequest request, CancellationToken cancellationToken) =>
        SendAsync("commit1pc", node, request.TxId, request.Resource, h => h.CommitOnePhaseAsync(request, CancellationToken.None), cancellationToken);

    public async ValueTask AbortAsync(string node, AbortRequest request, CancellationToken cancellationToken) =>
        await SendAsync("abort", node, request.TxId, request.Resource, async h => { await h.AbortAsync(request, CancellationToken.None).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// A participant asks for a decision (the termination protocol): the coordinator, or with a shared log the leader
    /// as the cluster knows it (the recorded coordinator while no leader is known), as the node's decision source does.
    /// </summary>
    public ValueTask<DecisionAnswer> QueryDecisionAsync(string? coordinator, TxId txId, CancellationToken cancellationToken)
    {
        var from = cluster.Loop.Running?.Name ?? "?";
        var target = cluster.DecisionSourceFor(coordinator);
        return Transmit("query", from, target.Name, txId, "-", () => target.Process, () => target.Instance is { } c ? c.QueryDecisionAsync(txId, CancellationToken.None) : throw new IOException($"simulated: {target.Name} is recovering"), cancellationToken);
    }

    /// <summary>A coordinator's request to etcd: lost, delayed or cut like any message; unanswered, it times out after 50 ms.</summary>
    public Task<T> CallEtcdAsync<T>(string from, Func<T> operation, CancellationToken cancellationToken)
    {
        var loop = cluster.Loop;
        var sender = loop.Running;
        var (_, dropRequest, dropReply, _, delay, replyDelay) = DrawFate(from, "etcd", mayDuplicate: false);
        var answer = new TaskCompletionSource<T>();
        Sent++;
        if (dropRequest)
        {
            Lost++;
        }
        else
        {
            loop.After(delay, null, () =>
            {
                T result;
                try
                {
                    result = operation();
                }
                catch (Exception e)
                {
                    loop.After(replyDelay, sender, () => answer.TrySetException(e));
                    return;
                }

                if (dropReply || _cut.Contains(Link(from, "etcd")))
                {
                    Lost++;
                    return;
                }

                loop.After(replyDelay, sender, () => answer.TrySetResult(result));
            });
        }

        loop.After(TimeSpan.FromMilliseconds(50), sender, () => answer.TrySetException(new TimeoutException($"simulated: etcd did not answer {from}")));
        return answer.Task.WaitAsync(cancellationToken);
    }

    private ValueTask<T> SendAsync<T>(string kind, string node, TxId txId, string resource, Func<ParticipantHost, ValueTask<T>> handler, CancellationToken cancellationToken)
    {
        var machine = cluster.Node(node);
        var from = cluster.Loop.Running?.Name ?? "?";
        return Transmit(kind, from, node, txId, resource, () => machine.Process, () => machine.Host is { } host ? handler(host) : throw new IOException($"simulated: {node} is starting"), cancellationToken);
    }

    private ValueTask<T> Transmit<T>(string kind, string from, string to, TxId txId, string resource, Func<SimProcess?> receiver, Func<ValueTask<T>> handle, CancellationToken cancellationToken)
    {
        var loop = cluster.Loop;
        var sender = loop.Running;
        var (cut, dropRequest, dropReply, duplicate, delay, replyDelay) = DrawFate(from, to, mayDuplicate: true);
        var label = $"{kind} {cluster.Workload.Label(txId)} {resource} {from}->{to}";
        Sent++;
        cluster.Trace($"send {label}{(dropRequest ? cut ? " (cut)" : " (lost)" : "")}{(dropReply ? " (reply lost)" : "")}{(duplicate ? " (duplicated)" : "")}");
        var answer = new TaskCompletionSource<T>();
        if (dropRequest)
        {
            Lost++;
        }
        else
        {
            loop.After(delay, null, () => Deliver(label, from, to, receiver, handle, answer, sender, dropReply, replyDelay));
            if (duplicate)
            {
                Duplicated++;
                loop.After(delay + Delay(loop.Random, Faulty) + TimeSpan.FromMilliseconds(loop.Random.Next(0, 5)), null,
                    () => Deliver(label + " (copy)", from, to, receiver, handle, new TaskCompletionSource<T>(), null, dropReply: true, replyDelay));
            }
        }

        return new ValueTask<T>(answer.Task.WaitAsync(cancellationToken));
    }

    // One message's fate, drawn from the seed in a fixed order (the recorded seeds depend on it).
    private Fate DrawFate(string from, string to, bool mayDuplicate)
    {
        var random = cluster.Loop.Random;
        var faulty = Faulty;
        var rate = faulty ? cluster.Config.MessageFaultRate : 0;
        var cut = _cut.Contains(Link(from, to));
        var dropRequest = cut || random.NextDouble() < rate;
        var dropReply = random.NextDouble() < rate;
        var duplicate = mayDuplicate && random.NextDouble() < rate;
        var delay = Delay(random, faulty);
        return new Fate(cut, dropRequest, dropReply, duplicate, delay, Delay(random, faulty));
    }

    private void Deliver<T>(string label, string from, string to, Func<SimProcess?> receiver, Func<ValueTask<T>> handle, TaskCompletionSource<T> answer, SimProcess? sender, bool dropReply, TimeSpan replyDelay)
    {
        var loop = cluster.Loop;
        var process = receiver();
        if (process is not { Alive: true })
        {
            cluster.Trace($"refused {label}");
            loop.After(replyDelay, sender, () => answer.TrySetException(new IOException($"simulated: connection to {to} refused")));
            return;
        }

        loop.Post(process, async () =>
        {
            cluster.Trace($"deliver {label}");
            Exception? error = null;
            T result = default!;
            try
            {
                result = await handle().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                error = e;
            }

            if (!process.Alive)
            {
                return;
            }

            if (cluster.Machine(to) is { } machine && cluster.Nemesis.MaybeCrashAfterHandling(machine))
            {
                return;
            }

            if (dropReply || _cut.Contains(Link(from, to)))
            {
                cluster.Trace($"reply lost {label}");
                Lost++;
                return;
            }

            cluster.Trace(error is null ? $"reply {label}" : $"reply {label}: {Describe(error)}");
            loop.After(replyDelay, sender, () =>
            {
                if (error is null)
                {
                    answer.TrySetResult(result);
                }
                else
                {
                    answer.TrySetException(error);
                }
            });
        });
    }

    private static string Describe(Exception error) => error is CohortException ce ? ce.Code : error.GetType().Name;

    // Up to 4 ms, and one message in ten is slow (up to 30 ms) while faults are on: long enough for others to overtake it.
    private static TimeSpan Delay(Random random, bool faulty) =>
        TimeSpan.FromTicks(!faulty ? random.Next(0, 5_000) : random.Next(10) == 0 ? random.Next(40_000, 300_000) : random.Next(0, 40_000));

    private static string Link(string a, string b) => string.CompareOrdinal(a, b) < 0 ? $"{a}|{b}" : $"{b}|{a}";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Sent} sent, {Lost} lost, {Duplicated} duplicated");

    private readonly record struct Fate(bool Cut, bool DropRequest, bool DropReply, bool Duplicate, TimeSpan Delay, TimeSpan ReplyDelay);
}
