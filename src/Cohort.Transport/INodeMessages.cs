using Cohort.Core;

namespace Cohort.Transport;

/// <summary>
/// Carries the node-to-node protocol's requests (<c>internal/…</c> paths with a JSON body) to another node and returns
/// its JSON answer: <see cref="NodeClient"/> sends each as its own HTTP request, <see cref="NodeSockets"/> multiplexes
/// them over one WebSocket per node.
/// </summary>
/// <remarks>
/// A problem answer becomes a <see cref="CohortException"/> with its code. A node that cannot be reached, a connection
/// lost with the request in flight (<c>unavailable</c>), a <see cref="TimeoutException"/> or a cancellation leave it
/// unknown whether the node acted on the request.
/// </remarks>
internal interface INodeMessages
{
    /// <summary>Sends <paramref name="body"/> to <paramref name="path"/> on <paramref name="node"/> and returns the answer.</summary>
    ValueTask<Value> PostAsync(string node, string path, Value body, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="PostAsync(string, string, Value, CancellationToken)"/> with the answer read by <paramref name="read"/> (a
    /// <c>WireFormat.Read…</c>), which a transport may run where the answer arrives rather than in another async layer.
    /// </summary>
    async ValueTask<T> PostAsync<T>(string node, string path, Value body, Func<Value, T> read, CancellationToken cancellationToken) =>
        read(await PostAsync(node, path, body, cancellationToken).ConfigureAwait(false));
}
