using System.CommandLine;

namespace Cohort.Cli;

/// <summary>The options client commands share, with the same names and defaults everywhere.</summary>
internal static class CliOptions
{
    /// <summary>The seed's default master address.</summary>
    public const string DefaultAddress = "127.0.0.1:7001";

    /// <summary><c>--master</c>: the node to send a cluster command to.</summary>
    public static Option<string> Master() =>
        new("--master") { Description = "The master's address (host:port); any node forwards to it.", DefaultValueFactory = _ => DefaultAddress };

    /// <summary><c>--addr</c>: one node's address.</summary>
    public static Option<string> Addr(string description = "Node address (host:port).") =>
        new("--addr") { Description = description, DefaultValueFactory = _ => DefaultAddress };

    /// <summary><c>--nodes</c>: comma-separated node addresses; the client tries them in order.</summary>
    public static Option<string> Nodes() =>
        new("--nodes", "--addr") { Description = "Comma-separated node addresses (host:port); the first reachable one is used and forwards to the master.", DefaultValueFactory = _ => DefaultAddress };

    /// <summary><c>--auth-token</c>, defaulting to <c>$COHORT_AUTH_TOKEN</c>.</summary>
    public static Option<string?> AuthToken() =>
        new("--auth-token") { Description = "Bearer token for the cluster (default: $COHORT_AUTH_TOKEN)." };

    /// <summary><c>--json</c>: machine-readable output.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Print JSON for scripts instead of tables." };

    /// <summary>The token from <c>--auth-token</c> or the environment.</summary>
    public static string? Token(string? given) =>
        string.IsNullOrEmpty(given) ? Environment.GetEnvironmentVariable("COHORT_AUTH_TOKEN") is { Length: > 0 } env ? env : null : given;

    /// <summary>Splits a comma-separated address list.</summary>
    public static string[] SplitAddresses(string? text) =>
        (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
