using System.Collections.Concurrent;
using System.IO.Compression;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Cohort.IntegrationTests.Harness;

/// <summary>
/// A minimal OpenTelemetry collector for tests: takes OTLP/HTTP protobuf trace exports (<c>POST /v1/traces</c>) on a
/// free 127.0.0.1 port and keeps each span's ids, name and string attributes. Only the fields tests read are decoded
/// (the OTLP trace protobuf: ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span).
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app, string endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The URL to give as <c>--otlp-endpoint</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Every span received so far.</summary>
    public ConcurrentQueue<Span> Spans { get; } = new();

    /// <summary>The names of the metrics received so far (OTLP/HTTP at <c>/v1/metrics</c>), with how often each came.</summary>
    public ConcurrentDictionary<string, int> Metrics { get; } = new(StringComparer.Ordinal);

    public static async Task<OtlpReceiver> StartAsync()
    {
        var port = FreePorts.Take(1)[0];
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new OtlpReceiver(app, $"http://127.0.0.1:{port}/v1/traces");
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            var source = context.Request.Headers.ContentEncoding.ToString() == "gzip" ? new GZipStream(context.Request.Body, CompressionMode.Decompress) : context.Request.Body;
            await source.CopyToAsync(body);
            foreach (var span in Decode(body.ToArray()))
            {
                receiver.Spans.Enqueue(span);
            }

            context.Response.ContentType = "application/x-protobuf";
            await context.Response.Body.WriteAsync(Array.Empty<byte>());
        });
        app.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            var source = context.Request.Headers.ContentEncoding.ToString() == "gzip" ? new GZipStream(context.Request.Body, CompressionMode.Decompress) : context.Request.Body;
            await source.CopyToAsync(body);

            // ExportMetricsServiceRequest: resource_metrics (1) → scope_metrics (2) → metrics (2) → name (1).
            foreach (var resourceMetrics in Fields(body.ToArray(), 1))
            {
                foreach (var scopeMetrics in Fields(resourceMetrics, 2))
                {
                    foreach (var metric in Fields(scopeMetrics, 2))
                    {
                        receiver.Metrics.AddOrUpdate(ReadName(metric), 1, (_, n) => n + 1);
                    }
                }
            }

            context.Response.ContentType = "application/x-protobuf";
            await context.Response.Body.WriteAsync(Array.Empty<byte>());
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static IEnumerable<Span> Decode(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    yield return ReadSpan(span);
                }
            }
        }
    }

    private static string ReadName(byte[] metric)
    {
        var input = new CodedInputStream(metric);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
            {
                return input.ReadString();
            }

            input.SkipLastField();
        }

        return string.Empty;
    }

    private static Span ReadSpan(byte[] span)
    {
        string traceId = string.Empty, spanId = string.Empty, parentId = string.Empty, name = string.Empty;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var input = new CodedInputStream(span);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 4: parentId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray()); break;
                case 5: name = input.ReadString(); break;
                case 9:
                    var (key, value) = ReadAttribute(input.ReadBytes().ToByteArray());
                    attributes[key] = value;
                    break;
                default: input.SkipLastField(); break;
            }
        }

        return new Span(traceId, spanId, parentId, name, attributes);
    }

    // KeyValue { 1: key, 2: AnyValue { 1: string_value, 3: int_value, … } }: strings and integers as text.
    private static (string Key, string Value) ReadAttribute(byte[] keyValue)
    {
        var key = string.Empty;
        var value = string.Empty;
        var input = new CodedInputStream(keyValue);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
            {
                key = input.ReadString();
            }
            else if (WireFormat.GetTagFieldNumber(tag) == 2)
            {
                var any = new CodedInputStream(input.ReadBytes().ToByteArray());
                for (var inner = any.ReadTag(); inner != 0; inner = any.ReadTag())
                {
                    value = WireFormat.GetTagFieldNumber(inner) switch
                    {
                        1 => any.ReadString(),
                        3 => any.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => SkipThen(any, value),
                    };
                }
            }
            else
            {
                input.SkipLastField();
            }
        }

        return (key, value);
    }

    private static string SkipThen(CodedInputStream input, string value)
    {
        input.SkipLastField();
        return value;
    }

    // The length-delimited fields numbered `field` of a message.
    private static IEnumerable<byte[]> Fields(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        for (var tag = input.ReadTag(); tag != 0; tag = input.ReadTag())
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    /// <summary>One received span.</summary>
    public sealed record Span(string TraceId, string SpanId, string ParentId, string Name, IReadOnlyDictionary<string, string> Attributes);
}
