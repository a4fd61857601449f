using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Cohort.Protocol;
using Cohort.Server;

namespace Cohort.Cli;

/// <summary>
/// The options commands share, with the same names, defaults and checks everywhere. Values are checked while the
/// command line is parsed (a custom parser or a validator adds a parse error), so every bad value ends the same way as a
/// misspelled option: one line on stderr and exit code 2 (<see cref="Program"/>).
/// </summary>
internal static class CliOptions
{
    /// <summary>The seed's default master address.</summary>
    public const string DefaultAddress = "127.0.0.1:7001";

    /// <summary>The longest duration any option takes: a day (timers and <c>Task.Delay</c> take up to 49 days).</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    /// <summary><c>--addr</c>: one node's address.</summary>
    public static Option<string> Addr(string description = "Node address (host:port).") =>
        Addresses(new("--addr") { Description = description, DefaultValueFactory = _ => DefaultAddress }, list: false, urls: false);

    /// <summary><c>--auth-token</c>, defaulting to <c>$COHORT_AUTH_TOKEN</c>.</summary>
    public static Option<string?> AuthToken() =>
        new("--auth-token") { Description = "Bearer token for the cluster (default: $COHORT_AUTH_TOKEN)." };

    /// <summary>
    /// <c>--tls-ca</c> of the client commands: the CA file (PEM) the nodes' certificates must chain to; with it, bare
    /// <c>host:port</c> addresses are called over https. Checked at parse time (a file that cannot be read or holds no
    /// certificate is refused with one line).
    /// </summary>
    public static Option<string?> TlsCa()
    {
        var option = new Option<string?>("--tls-ca")
        {
            Description = "CA certificates (PEM file) that the nodes' https certificates must chain to, for a TLS cluster with a private CA; bare host:port addresses are then called over https (default: $COHORT_TLS_CA; none: https:// addresses are checked against the machine's trust store).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("COHORT_TLS_CA") is { Length: > 0 } env ? env : null,
        };
        option.Validators.Add(result =>
        {
            if (TlsCaError(result.GetValueOrDefault<string?>()) is { } error)
            {
                result.AddError("--tls-ca: " + error);
            }
        });
        return option;
    }

    /// <summary>The CA file given (or <c>$COHORT_TLS_CA</c>), or null.</summary>
    public static string? TlsCaOf(string? given) => string.IsNullOrWhiteSpace(given) ? null : given;

    /// <summary>Why CA file <paramref name="path"/> cannot be used, or null when it can (or none is given).</summary>
    public static string? TlsCaError(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        try
        {
            _ = Protocol.TlsTrust.For(path);
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// The etcd backend's options: <c>--etcd</c> (client URLs, default <c>$COHORT_ETCD</c>; none runs the embedded
    /// backend), <c>--etcd-prefix</c> and <c>--lease-ttl</c>.
    /// </summary>
    public static (Option<string?> Etcd, Option<string> Prefix, Option<Duration> LeaseTtl) EtcdOptions() => (
        new("--etcd") { Description = "etcd client URLs, comma-separated (http://127.0.0.1:2379,...): leadership by an etcd lease and commit decisions in etcd, so a master lost for good is replaced and its transactions finished (default: $COHORT_ETCD; none: the embedded backend)." },
        new("--etcd-prefix") { Description = "This cluster's key prefix in etcd; clusters sharing an etcd keep apart by it.", DefaultValueFactory = _ => NodeOptions.DefaultEtcdPrefix },
        Duration("--lease-ttl", "With --etcd: the master's lease; a master that stops renewing it is replaced about this long after. Whole seconds, at least 2 s.", NodeOptions.DefaultLeaseTtl, max: TimeSpan.FromMinutes(5)));

    /// <summary>The etcd endpoints given, else <c>$COHORT_ETCD</c>, else null (the embedded backend).</summary>
    public static string? EtcdEndpoints(string? given) =>
        !string.IsNullOrWhiteSpace(given) ? given : Environment.GetEnvironmentVariable("COHORT_ETCD") is { Length: > 0 } env ? env : null;

    /// <summary><c>--peer-route</c>: where to dial peers that are not reachable at their advertised address.</summary>
    public static Option<string?> PeerRoutes()
    {
        var option = new Option<string?>("--peer-route")
        {
            Description = "Dial a peer somewhere other than its advertised address (NAT, a port forward, a tunnel): comma-separated name=host:port, e.g. 10.0.0.5:7001=127.0.0.1:17001. The name stays the peer's identity (default: $COHORT_PEER_ROUTES).",
        };
        option.Validators.Add(result =>
        {
            try
            {
                _ = Protocol.PeerRoutes.Parse(result.GetValueOrDefault<string?>());
            }
            catch (FormatException e)
            {
                result.AddError($"--peer-route: {e.Message}");
            }
        });
        return option;
    }

    /// <summary>The peer routes given, else <c>$COHORT_PEER_ROUTES</c>.</summary>
    public static PeerRoutes PeerRoutesOf(string? given) =>
        Protocol.PeerRoutes.Parse(!string.IsNullOrWhiteSpace(given) ? given : Environment.GetEnvironmentVariable("COHORT_PEER_ROUTES"));

    /// <summary><c>--json</c>: machine-readable output.</summary>
    public static Option<bool> Json(string description = "Print JSON for scripts instead of tables.") => new("--json") { Description = description };

    /// <summary>
    /// A duration option: <c>500ms</c>, <c>2s</c>, <c>1m</c> or a bare number of seconds, above zero (or zero when
    /// <paramref name="allowZero"/>) and at most <paramref name="max"/> (default: a day). Its help says so.
    /// </summary>
    public static Option<Duration> Duration(string name, string description, TimeSpan defaultValue, TimeSpan? max = null, bool allowZero = false)
    {
        var limit = max ?? MaxDuration;
        return new Option<Duration>(name)
        {
            Description = $"{description} {Durations.Syntax} {(allowZero ? "From 0" : "Above 0")} up to {Durations.Show(limit)}.",
            DefaultValueFactory = _ => new Duration(defaultValue),
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (Durations.TryParse(text, allowZero, limit, out var value, out var error))
                {
                    return new Duration(value);
                }

                result.AddError($"{name} {error}");
                return default;
            },
        };
    }

    /// <summary>A whole-number option that must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int> Count(string name, string description, int defaultValue, int min, int max)
    {
        return new Option<int>(name)
        {
            Description = $"{description} ({min.ToString(CultureInfo.InvariantCulture)}–{max.ToString(CultureInfo.InvariantCulture)})",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                {
                    result.AddError($"{name} '{text}' is not a whole number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
                }

                return value;
            },
        };
    }

    /// <summary>An option that must be one of <paramref name="choices"/>, with a one-line error naming them.</summary>
    public static Option<string> OneOf(Option<string> option, params string[] choices)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!choices.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"{option.Name} '{value}' is not one of {string.Join(", ", choices)}");
            }
        });
        return option;
    }

    /// <summary>Checks that every value of <paramref name="option"/> is a node address (host:port; an http(s) URL too when <paramref name="urls"/>).</summary>
    public static Option<string> Addresses(Option<string> option, bool list, bool urls)
    {
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>() ?? string.Empty;
            var entries = list ? SplitAddresses(text) : [text];
            if (entries.Length == 0)
            {
                result.AddError($"{result.IdentifierToken?.Value ?? option.Name} names no node");
                return;
            }

            foreach (var entry in entries)
            {
                if (!IsAddress(entry, urls))
                {
                    result.AddError($"{result.IdentifierToken?.Value ?? option.Name} '{entry}' is not a node address (host:port{(urls ? " or http://host:port" : string.Empty)})");
                    return;
                }
            }
        });
        return option;
    }

    /// <summary>Whether <paramref name="address"/> is <c>host:port</c> (port 1–65535), or with <paramref name="url"/> an http(s) URL.</summary>
    public static bool IsAddress(string address, bool url)
    {
        if (url && address.Contains("://", StringComparison.Ordinal))
        {
            return Uri.TryCreate(address, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Port > 0;
        }

        return NodeAddress.TryParse(address, out _) && Uri.TryCreate($"http://{address}/", UriKind.Absolute, out _);
    }

    /// <summary>The token from <c>--auth-token</c> or the environment.</summary>
    public static string? Token(string? given) =>
        string.IsNullOrEmpty(given) ? Environment.GetEnvironmentVariable("COHORT_AUTH_TOKEN") is { Length: > 0 } env ? env : null : given;

    /// <summary>Splits a comma-separated address list.</summary>
    public static string[] SplitAddresses(string? text) =>
        (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
