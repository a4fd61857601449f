using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Cohort.Core;
using Cohort.Protocol;
using Microsoft.AspNetCore.Connections;

namespace Cohort.Server.Endpoints;

/// <summary>
/// On a TLS node's port, ahead of the TLS handshake: a connection whose first byte is not a TLS record (a plain
/// <c>http://</c> request) gets a 400 problem saying to use https, instead of a connection closed without a word.
/// </summary>
internal static class PlainHttpRefusal
{
    // Every TLS connection starts with a handshake record (content type 22).
    private const byte TlsHandshake = 0x16;

    public static Func<ConnectionDelegate, ConnectionDelegate> For(string address) => next => async connection =>
    {
        var input = connection.Transport.Input;
        ReadResult read;
        try
        {
            read = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Closed before it said anything.
            return;
        }

        if (read.Buffer.IsEmpty)
        {
            input.AdvanceTo(read.Buffer.Start);
            await next(connection).ConfigureAwait(false);
            return;
        }

        var first = read.Buffer.FirstSpan[0];

        // Nothing consumed: the TLS layer reads the same bytes.
        input.AdvanceTo(read.Buffer.Start, read.Buffer.Start);
        if (first == TlsHandshake)
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        var body = ValueJson.Serialize(Problem.For(ErrorCodes.BadOperation, $"This node serves https only: call https://{address}/ (and give the cluster's CA, e.g. --tls-ca).").ToValue());
        var answer = $"HTTP/1.1 400 Bad Request\r\nContent-Type: {Problem.MediaType}\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await connection.Transport.Output.WriteAsync(Encoding.UTF8.GetBytes(answer), connection.ConnectionClosed).ConfigureAwait(false);
        await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
    };
}
