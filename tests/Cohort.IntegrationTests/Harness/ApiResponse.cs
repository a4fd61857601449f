using System.Text.Json.Nodes;

namespace Cohort.IntegrationTests.Harness;

/// <summary>An HTTP answer from a node: status, media type, raw text and the parsed JSON (null when not JSON).</summary>
internal sealed record ApiResponse(int Status, string? MediaType, string Text, JsonNode? Json)
{
    public bool IsSuccess => Status is >= 200 and < 300;

    /// <summary>The <c>code</c> of a problem response.</summary>
    public string? Code => Json is JsonObject o && o["code"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The transaction <c>status</c> field (committed, aborted, in-doubt).</summary>
    public string? TxStatus => Json is JsonObject o && o["status"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public bool IsProblem => MediaType == "application/problem+json";

    public JsonNode Body => Json ?? throw new InvalidOperationException($"HTTP {Status} without a JSON body: {Text}");

    public override string ToString() => $"HTTP {Status} {Text}";
}
