using Cohort.Core;

namespace Cohort.Cli;

/// <summary>One node's answer as <see cref="CliHttp"/> got it: HTTP status and JSON body, or why the node was not reached.</summary>
internal sealed record CliAnswer(int Status, Value Body, bool IsProblem, string? Unreachable)
{
    public static CliAnswer Unreachable_(string why) => new(0, Value.Null, true, why) { NotSent = true };

    /// <summary>Whether the request surely never reached a node (no connection), so another node may be tried.</summary>
    public bool NotSent { get; init; }

    /// <summary>The node that answered (or was tried last).</summary>
    public string? Address { get; init; }

    /// <summary>The problem's <c>code</c>, if the body has one.</summary>
    public string Code => Body.Kind == ValueKind.Map && Body.TryGetField("code", out var c) && c.Kind == ValueKind.String ? c.AsString() : $"http_{Status}";

    /// <summary>The problem's <c>detail</c> (or the body).</summary>
    public string Detail => Body.Kind == ValueKind.Map && Body.TryGetField("detail", out var d) && d.Kind == ValueKind.String ? d.AsString() : ValueJson.Serialize(Body);
}
