using Cohort.Storage.Replication;

namespace Cohort.Tests.Storage.Replication;

/// <summary>A replica reached by direct calls, with a switch that makes it unreachable and a gate that holds shipments.</summary>
internal sealed class InProcessReplicaChannel(string replica, Func<ReplicaStore> store) : IReplicaChannel
{
    private volatile bool _down;
    private TaskCompletionSource? _held;

    public string Replica { get; } = replica;

    public int Shipments { get; private set; }

    /// <summary>While down, every shipment fails as a connection would.</summary>
    public bool Down
    {
        get => _down;
        set => _down = value;
    }

    /// <summary>Holds every shipment until <see cref="Release"/>.</summary>
    public void Hold() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    public async Task<long> SendAsync(string resource, long version, string stream, IReadOnlyList<ReplicationEntry> entries, CancellationToken cancellationToken)
    {
        if (_held is { } held)
        {
            await held.Task.WaitAsync(cancellationToken);
        }

        if (_down)
        {
            throw new HttpRequestException($"{Replica} is unreachable");
        }

        Shipments++;
        return await store().ApplyAsync(stream, version, entries, cancellationToken);
    }
}
