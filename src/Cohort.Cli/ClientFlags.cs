using System.CommandLine;
using Cohort.Client;

namespace Cohort.Cli;

/// <summary>
/// The flags every command that talks to a cluster takes, declared once so that they have the same names, defaults,
/// checks and help everywhere: <c>--nodes</c>/<c>--addr</c> (one address or a comma-separated list, host:port or an
/// http(s) URL; the first node that answers is used and forwards to the master; <c>--master</c> too on the seed's
/// commands), <c>--auth-token</c> (default <c>$COHORT_AUTH_TOKEN</c>), <c>--tls-ca</c> (default <c>$COHORT_TLS_CA</c>)
/// and <c>--json</c>.
/// </summary>
internal sealed class ClientFlags
{
    private ClientFlags(Option<string> nodes, Option<string?> token, Option<string?> tlsCa, Option<bool> json)
    {
        Nodes = nodes;
        Token = token;
        TlsCa = tlsCa;
        Json = json;
    }

    /// <summary>The nodes to talk to.</summary>
    public Option<string> Nodes { get; }

    /// <summary>The bearer token.</summary>
    public Option<string?> Token { get; }

    /// <summary>The CA file of a TLS cluster.</summary>
    public Option<string?> TlsCa { get; }

    /// <summary>Machine-readable output.</summary>
    public Option<bool> Json { get; }

    /// <summary>Declares the shared flags on <paramref name="command"/>.</summary>
    /// <param name="command">The command that talks to the cluster.</param>
    /// <param name="description">What the nodes are for, in the command's help.</param>
    /// <param name="names">The node option's names: <c>--nodes</c> and <c>--addr</c> unless a command uses one of them otherwise.</param>
    public static ClientFlags AddTo(Command command, string? description = null, params string[] names)
    {
        string[] spelled = names.Length > 0 ? names : ["--nodes", "--addr"];
        var nodes = CliOptions.Addresses(
            new Option<string>(spelled[0], spelled[1..])
            {
                Description = description ?? "Node address (host:port, http://host:port or https://host:port), or a comma-separated list: the first that answers is used and forwards to the master.",
                DefaultValueFactory = _ => CliOptions.DefaultAddress,
            },
            list: true,
            urls: true);
        var flags = new ClientFlags(nodes, CliOptions.AuthToken(), CliOptions.TlsCa(), CliOptions.Json());
        command.Options.Add(flags.Nodes);
        command.Options.Add(flags.Token);
        command.Options.Add(flags.TlsCa);
        command.Options.Add(flags.Json);
        return flags;
    }

    /// <summary>The addresses given, in order (never empty: the option has a default and refuses an empty list).</summary>
    public string[] Addresses(ParseResult result)
    {
        var addresses = CliOptions.SplitAddresses(result.GetValue(Nodes));
        return addresses.Length == 0 ? [CliOptions.DefaultAddress] : addresses;
    }

    /// <summary>How the command answers, per <c>--json</c>.</summary>
    public CliOutput Output(ParseResult result, string command) => new(command, result.GetValue(Json));

    /// <summary>Plain HTTP calls to the nodes with the token.</summary>
    public CliHttp Http(ParseResult result, TimeSpan? timeout = null) => new(result.GetValue(Token), timeout, CliOptions.TlsCaOf(result.GetValue(TlsCa)));

    /// <summary>A client on the addresses with the token.</summary>
    public CohortClient Client(ParseResult result) => CliRun.Client(result.GetValue(Nodes), result.GetValue(Token), CliOptions.TlsCaOf(result.GetValue(TlsCa)));
}
