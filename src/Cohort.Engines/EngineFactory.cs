using Cohort.Core;
using Cohort.Engines.Kv;
using Cohort.Engines.Queue;
using Cohort.Engines.Resource;
using Cohort.Engines.Sql;
using Microsoft.Extensions.Logging;

namespace Cohort.Engines;

/// <summary>Opens an embedded engine by resource name (<c>kv:users</c> → a <see cref="KvEngine"/>).</summary>
public static class EngineFactory
{
    /// <summary>The engine kinds this build can open.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["kv", "queue", "resource", "sql"];

    /// <summary>
    /// Opens resource <paramref name="resource"/> (<c>&lt;engine&gt;:&lt;name&gt;</c>) with its data in
    /// <see cref="EngineOptions.DataDirectory"/>, recovering its state.
    /// </summary>
    /// <exception cref="CohortException"><c>bad_operation</c> when the name is malformed or the engine unknown.</exception>
    public static IEmbeddedEngine Open(string resource, EngineOptions options, ILogger? logger = null)
    {
        var kind = KindOf(resource);
        return kind switch
        {
            "kv" => KvEngine.Open(resource, options, logger),
            "queue" => QueueEngine.Open(resource, options, logger),
            "resource" => ResourceEngine.Open(resource, options, logger),
            "sql" => SqlEngine.Open(resource, options, logger),
            _ => throw new CohortException(ErrorCodes.BadOperation, $"Unknown engine '{kind}' in resource '{resource}'; known: {string.Join(", ", Kinds)}.", isTransient: false),
        };
    }

    /// <summary>The engine part of a resource name; validates the whole name (letters, digits, '_', '-', one ':').</summary>
    public static string KindOf(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var colon = resource.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == resource.Length - 1 || resource.Length > 128
            || !resource.AsSpan(0, colon).ContainsOnlyLetterDigitOrUnderscore()
            || !resource.AsSpan(colon + 1).ContainsOnlyLetterDigitOrUnderscore(allowDash: true))
        {
            throw new CohortException(ErrorCodes.BadOperation, $"'{resource}' is not a resource name; expected <engine>:<name> such as kv:users (letters, digits, '_' and '-').", isTransient: false);
        }

        return resource[..colon];
    }

    private static bool ContainsOnlyLetterDigitOrUnderscore(this ReadOnlySpan<char> text, bool allowDash = false)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowDash && c == '-')))
            {
                return false;
            }
        }

        return true;
    }
}
