using System.CommandLine;
using Cohort.Client;
using Cohort.Core;

namespace Cohort.Cli;

/// <summary>
/// One-shot operations on KV, queue and token resources: <c>cohort kv get|put|delete|scan</c>, <c>cohort queue
/// enqueue|dequeue|peek|size</c>, <c>cohort resource init|mint|burn|transfer|balance|supply|metadata</c>. Writes run as a
/// one-shot atomic transaction; reads are lock-free snapshot reads.
/// </summary>
internal static class DataCommands
{
    public static Command Kv()
    {
        var command = new Command("kv", "Read and write a key-value resource (kv:…).");
        command.Subcommands.Add(Op("get", "The value of a key (null when missing).", "kv:", [Arg("key")], write: false, (r, a) => CohortOps.KvGet(r, a[0])));
        command.Subcommands.Add(Op("put", "Set a key to a value (JSON, or else taken as a string).", "kv:", [Arg("key"), Arg("value")], write: true, (r, a) => CohortOps.KvPut(r, a[0], CliRun.ParseValue(a[1]))));
        command.Subcommands.Add(Op("delete", "Delete a key; prints whether it existed.", "kv:", [Arg("key")], write: true, (r, a) => CohortOps.KvDelete(r, a[0])));
        command.Subcommands.Add(Op("scan", "Entries whose keys start with a prefix.", "kv:", [Arg("prefix", optional: true)], write: false, (r, a) => CohortOps.KvScan(r, a.Length > 0 ? a[0] : string.Empty, 100)));
        return command;
    }

    public static Command Queue()
    {
        var command = new Command("queue", "Use a queue resource (queue:…), which holds named FIFO queues.");
        command.Subcommands.Add(Op("enqueue", "Append a value (JSON, or else a string) to a queue.", "queue:", [Arg("queue"), Arg("value")], write: true, (r, a) => CohortOps.Enqueue(r, a[0], CliRun.ParseValue(a[1]))));
        command.Subcommands.Add(Op("dequeue", "Take the head of a queue (null when empty).", "queue:", [Arg("queue")], write: true, (r, a) => CohortOps.Dequeue(r, a[0])));
        command.Subcommands.Add(Op("peek", "The head of a queue without taking it.", "queue:", [Arg("queue")], write: false, (r, a) => CohortOps.Peek(r, a[0])));
        command.Subcommands.Add(Op("size", "The number of items in a queue.", "queue:", [Arg("queue")], write: false, (r, a) => CohortOps.QueueSize(r, a[0])));
        return command;
    }

    public static Command Resource()
    {
        var command = new Command("resource", "Use a token resource (resource:…): exact amounts, no negative balances.");
        command.Subcommands.Add(Op("init", "Set the token's symbol and decimals (once).", "resource:", [Arg("symbol"), Arg("decimals")], write: true, (r, a) => CohortOps.Initialize(r, a[0], ParseInt(a[1], "decimals"))));
        command.Subcommands.Add(Op("mint", "Create an amount in an account.", "resource:", [Arg("to"), Arg("amount")], write: true, (r, a) => CohortOps.Mint(r, a[0], ParseAmount(a[1]))));
        command.Subcommands.Add(Op("burn", "Destroy an amount from an account.", "resource:", [Arg("from"), Arg("amount")], write: true, (r, a) => CohortOps.Burn(r, a[0], ParseAmount(a[1]))));
        command.Subcommands.Add(Op("transfer", "Move an amount between accounts.", "resource:", [Arg("from"), Arg("to"), Arg("amount")], write: true, (r, a) => CohortOps.Transfer(r, a[0], a[1], ParseAmount(a[2]))));
        command.Subcommands.Add(Op("balance", "An account's balance.", "resource:", [Arg("account")], write: false, (r, a) => CohortOps.Balance(r, a[0])));
        command.Subcommands.Add(Op("supply", "The total supply.", "resource:", [], write: false, (r, _) => CohortOps.Supply(r)));
        command.Subcommands.Add(Op("metadata", "The token's metadata.", "resource:", [], write: false, (r, _) => CohortOps.Metadata(r)));
        return command;
    }

    private static Argument<string> Arg(string name, bool optional = false) =>
        new(name) { Arity = optional ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne };

    private static Command Op(string name, string description, string prefix, Argument<string>[] arguments, bool write, Func<string, string[], CohortOperation> build)
    {
        var nodes = CliOptions.Nodes();
        var resource = new Option<string>("--resource", "-r") { Description = $"The resource ({prefix}…).", Required = true };
        var token = CliOptions.AuthToken();
        var json = CliOptions.Json();
        var command = new Command(name, description) { nodes, resource, token, json };
        foreach (var argument in arguments)
        {
            command.Arguments.Add(argument);
        }

        command.SetAction(async (result, cancellationToken) =>
        {
            var commandName = $"{prefix.TrimEnd(':')} {name}";
            var output = new CliOutput(commandName, result.GetValue(json));
            var target = result.GetValue(resource)!;
            if (!target.StartsWith(prefix, StringComparison.Ordinal) || target.Length == prefix.Length)
            {
                return output.BadInput($"--resource '{target}' is not a {prefix.TrimEnd(':')} resource ({prefix}…)");
            }

            var values = arguments.Select(a => result.GetValue(a)).Where(v => v is not null).Select(v => v!).ToArray();
            using var client = CliRun.Client(result.GetValue(nodes), result.GetValue(token));
            return await CliRun.GuardAsync(output, async () =>
            {
                var operation = build(target, values);
                Value answer;
                Value document;
                if (write)
                {
                    var batch = await client.BatchAsync([operation], null, "cohort " + commandName, cancellationToken).ConfigureAwait(false);
                    answer = batch.Results.Length > 0 ? batch.Results[0] : Value.Null;
                    document = Value.Map(("result", answer), ("tx_id", batch.TxId.ToString()), ("status", "committed"));
                }
                else
                {
                    var read = await client.ReadAsync([operation], null, cancellationToken).ConfigureAwait(false);
                    answer = read.Results.Length > 0 ? read.Results[0] : Value.Null;
                    document = Value.Map(("result", answer), ("as_of", read.AsOf.Value));
                }

                output.Result(document, () => Human(answer, write));
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static string Human(Value answer, bool write)
    {
        if (answer.Kind == ValueKind.List && answer.AsList().All(e => e.Kind == ValueKind.Map && e.TryGetField("key", out _)))
        {
            return string.Join('\n', answer.AsList().Select(e => $"{CliRun.Show(e.AsMap()["key"])}\t{ValueJson.Serialize(e.AsMap().GetValueOrDefault("value"))}"));
        }

        return write && answer.IsNull ? "committed" : CliRun.Show(answer);
    }

    private static decimal ParseAmount(string text) =>
        decimal.TryParse(text, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var amount) && amount > 0
            ? amount
            : throw new FormatException($"'{text}' is not a positive amount");

    private static int ParseInt(string text, string what) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"{what} '{text}' is not a whole number");
}
