using System.Globalization;
using System.Text.Json.Nodes;

namespace Cohort.IntegrationTests.Harness;

/// <summary>Builders for the <c>op</c> objects of DESIGN.md §9, and readers for the values nodes answer with.</summary>
internal static class Ops
{
    public static JsonObject On(string resource, JsonObject op) => new() { ["resource"] = resource, ["op"] = op };

    public static JsonObject Put(string key, JsonNode? value) => new() { ["put"] = new JsonObject { ["key"] = key, ["value"] = value } };

    public static JsonObject Get(string key) => new() { ["get"] = new JsonObject { ["key"] = key } };

    public static JsonObject Enqueue(string queue, JsonNode? value) => new() { ["enqueue"] = new JsonObject { ["queue"] = queue, ["value"] = value } };

    public static JsonObject Dequeue(string queue) => new() { ["dequeue"] = new JsonObject { ["queue"] = queue } };

    public static JsonObject Size(string queue) => new() { ["size"] = new JsonObject { ["queue"] = queue } };

    public static JsonObject Initialize(string symbol, int decimals) => new() { ["initialize"] = new JsonObject { ["symbol"] = symbol, ["decimals"] = decimals } };

    public static JsonObject Mint(string to, decimal amount) => new() { ["mint"] = new JsonObject { ["to"] = to, ["amount"] = Amount(amount) } };

    public static JsonObject Transfer(string from, string to, decimal amount) =>
        new() { ["transfer"] = new JsonObject { ["from"] = from, ["to"] = to, ["amount"] = Amount(amount) } };

    public static JsonObject Balance(string account) => new() { ["balance"] = new JsonObject { ["account"] = account } };

    public static JsonObject Sql(string sql, params JsonNode?[] parameters) => new() { ["sql"] = sql, ["params"] = new JsonArray(parameters) };

    /// <summary>A batch or read body: <c>{"ops":[…]}</c>.</summary>
    public static JsonObject Batch(params JsonObject[] ops) => new() { ["ops"] = new JsonArray([.. ops]) };

    /// <summary>A number answered as a JSON number, a numeric string or <c>{"$decimal":"1.50"}</c>.</summary>
    public static decimal Decimal(JsonNode? node) => node switch
    {
        JsonObject o when o["$decimal"] is { } d => decimal.Parse(d.GetValue<string>(), NumberStyles.Number, CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<string>(out var s) => decimal.Parse(s, NumberStyles.Number, CultureInfo.InvariantCulture),
        JsonValue v => v.GetValue<decimal>(),
        _ => throw new InvalidOperationException($"Not a number: {node?.ToJsonString() ?? "null"}"),
    };

    /// <summary>The JSON text of a node (<c>null</c> for a missing value), for comparisons.</summary>
    public static string Text(JsonNode? node) => node?.ToJsonString() ?? "null";

    private static string Amount(decimal amount) => amount.ToString(CultureInfo.InvariantCulture);
}
