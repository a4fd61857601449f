using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Cohort.Core;
using Cohort.Protocol;
using Cohort.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Cohort.Server.Endpoints;

/// <summary>
/// What every request passes through: the bearer-token check (all endpoints but <c>/health</c> and the dashboard's
/// static files, compared in
/// constant time) and the one place exceptions become <c>application/problem+json</c> answers.
/// </summary>
internal static class NodeMiddleware
{
    public static void Use(WebApplication app, CohortNode node)
    {
        var expected = node.Options.AuthToken is { } token ? Encoding.UTF8.GetBytes(token) : null;
        app.Use(async (context, next) =>
        {
            try
            {
                // The dashboard's page, script and style hold no data and load without the token (every call they make needs it).
                if (expected is not null && context.Request.Path != "/health" && !DashboardEndpoints.IsStaticAsset(context.Request.Path) && !Authorized(context, expected))
                {
                    await WriteProblemAsync(context, Problem.For(ErrorCodes.Unauthorized, "A valid bearer token is required (Authorization: Bearer <token>).")).ConfigureAwait(false);
                    return;
                }

                await next(context).ConfigureAwait(false);
                if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null or 0 && context.Response.ContentType is null)
                {
                    // An answer no endpoint wrote (routing's 404 for an unknown path, 405 for a known path and the wrong
                    // method): a problem like every other refusal, with a code.
                    var status = context.Response.StatusCode;
                    var detail = status switch
                    {
                        404 => $"No endpoint {context.Request.Path}; the API is described in docs/protocol.md.",
                        405 => $"{context.Request.Method} is not allowed on {context.Request.Path}; allowed: {context.Response.Headers.Allow}.",
                        _ => $"The request was refused with HTTP {status}.",
                    };
                    await WriteProblemAsync(context, Problem.For(ErrorCatalog.CodeOfStatus(status), detail, status)).ConfigureAwait(false);
                }
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                var tooLarge = e.StatusCode == StatusCodes.Status413PayloadTooLarge;
                await WriteProblemAsync(context, Problem.For(tooLarge ? ErrorCodes.TooLarge : ErrorCodes.BadJson, e.Message, e.StatusCode)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away.
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                // Refusals keep their code; timeouts are unavailable; anything else is a bug, logged (the same mapping
                // as the node-to-node socket's answers).
                var problem = Problem.Of(e);
                if (problem.Status == 500)
                {
                    Log.RequestFailed(node.Logger, context.Request.Method, context.Request.Path, e);
                }

                await WriteProblemAsync(context, problem).ConfigureAwait(false);
            }
        });
    }

    /// <summary>Reads the JSON body (bounded by the request size limit), which must be an object: every request body is.</summary>
    public static async Task<Value> ReadJsonAsync(HttpContext context)
    {
        var body = await ReadAnyJsonAsync(context).ConfigureAwait(false);
        return body.Kind == ValueKind.Map
            ? body
            : throw new CohortException(ErrorCodes.BadJson, $"The request body must be a JSON object, not {KindName(body)}.", isTransient: false);
    }

    /// <summary>How a JSON value that is not the object expected is named in a refusal.</summary>
    public static string KindName(Value value) => value.Kind switch
    {
        ValueKind.Null => "null",
        ValueKind.Bool => "a boolean",
        ValueKind.Int64 or ValueKind.Double or ValueKind.Decimal => "a number",
        ValueKind.String => "a string",
        ValueKind.List => "an array",
        _ => "a tagged value (" + value.Kind + ")",
    };

    private static async Task<Value> ReadAnyJsonAsync(HttpContext context)
    {
        // Parsed where Kestrel buffered it: no copy into a stream of our own.
        var body = context.Request.BodyReader;
        while (true)
        {
            var read = await body.ReadAsync(context.RequestAborted).ConfigureAwait(false);
            if (!read.IsCompleted)
            {
                body.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                continue;
            }

            try
            {
                return read.Buffer.Length == 0
                    ? throw new CohortException(ErrorCodes.BadJson, "The request needs a JSON body.", isTransient: false)
                    : ValueJson.Parse(read.Buffer);
            }
            finally
            {
                body.AdvanceTo(read.Buffer.End);
            }
        }
    }

    /// <summary>A JSON answer.</summary>
    public static IResult Json(Value value, int status = 200) => new JsonAnswer(value, status, "application/json");

    public static Task WriteProblemAsync(HttpContext context, Problem problem)
    {
        context.Response.StatusCode = problem.Status;
        context.Response.ContentType = Problem.MediaType;
        return context.Response.WriteAsync(ValueJson.Serialize(problem.ToValue()), context.RequestAborted);
    }

    // "Bearer <token>": the scheme is case-insensitive (RFC 9110 §11.1), the token compared in constant time.
    private static bool Authorized(HttpContext context, byte[] expected)
    {
        var header = context.Request.Headers.Authorization.ToString().AsSpan().Trim();
        var space = header.IndexOf(' ');
        if (space < 0 || !header[..space].Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var token = header[(space + 1)..].TrimStart(' ');
        var length = Encoding.UTF8.GetByteCount(token);
        var given = length <= 512 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(token, given);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>A value written as UTF-8 JSON straight into the response, with its length (no string in between).</summary>
    private sealed class JsonAnswer(Value value, int status, string mediaType) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            var writer = JsonScratch.Start(out var buffer);
            ValueJson.Write(writer, value);
            writer.Flush();
            response.StatusCode = status;
            response.ContentType = mediaType;
            response.ContentLength = buffer.WrittenCount;
            response.BodyWriter.Write(buffer.WrittenSpan);
            JsonScratch.Done(buffer);
            return response.BodyWriter.FlushAsync(httpContext.RequestAborted).AsTask();
        }
    }
}
