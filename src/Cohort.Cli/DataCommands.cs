using System.CommandLine;
using Cohort.Client;
using Cohort.Core;
using Cohort.Engines.Kv;

namespace Cohort.Cli;

/// <summary>
/// One-shot operations on KV, queue and token resources: <c>cohort kv get|put|delete|scan</c>, <c>cohort queue
/// enqueue|dequeue|peek|size|is-empty|clear</c>, <c>cohort resource
/// init|mint|burn|transfer|balance|supply|metadata|update-metadata</c>. Writes run as a one-shot atomic transaction;
/// reads are lock-free snapshot reads.
/// </summary>
internal static class DataCommands
{
    public static Command Kv()
    {
        var command = new Command("kv", "Read and write a key-value resource (kv:…).");
        command.Subcommands.Add(Op("get", "The value of a key (null when missing).", "kv:", [Arg("key")], write: false, (r, a, _) => CohortOps.KvGet(r, a[0])));
        command.Subcommands.Add(Op("put", "Set a key to a value (JSON, or else taken as a string).", "kv:", [Arg("key"), Arg("value")], write: true, (r, a, _) => CohortOps.KvPut(r, a[0], CliRun.ParseValue(a[1]))));
        command.Subcommands.Add(Op("delete", "Delete a key; prints whether it existed.", "kv:", [Arg("key")], write: true, (r, a, _) => CohortOps.KvDelete(r, a[0])));
        var limit = CliOptions.Count("--limit", "The most entries to print.", KvEngine.DefaultScanLimit, 1, KvEngine.MaxScanLimit);
        var from = new Option<string?>("--from") { Description = "The first key of a range (inclusive); instead of a prefix." };
        var to = new Option<string?>("--to") { Description = "The end of a range (exclusive); instead of a prefix." };
        command.Subcommands.Add(Op(
            "scan",
            "Entries in key order: those whose keys start with a prefix (default: every key), or with keys in [--from, --to); at most --limit.",
            "kv:",
            [new Argument<string>("prefix") { Description = "Only keys that start with it (default: every key).", Arity = ArgumentArity.ZeroOrOne }],
            write: false,
            (r, a, result) => Scan(r, a.Length > 0 ? a[0] : null, result.GetValue(from), result.GetValue(to), result.GetValue(limit)),
            limit,
            from,
            to));
        return command;
    }

    // A prefix scan, or a range scan when --from or --to is given (not both kinds: the engine refuses that too).
    private static CohortOperation Scan(string resource, string? prefix, string? from, string? to, int limit)
    {
        if (from is null && to is null)
        {
            return CohortOps.KvScan(resource, prefix ?? string.Empty, limit);
        }

        if (prefix is not null)
        {
            throw new FormatException($"give a prefix ('{prefix}') or --from/--to, not both");
        }

        return from is not null && to is not null && string.CompareOrdinal(from, to) >= 0
            ? throw new FormatException($"--from '{from}' is not before --to '{to}' (the range is [from, to))")
            : CohortOps.KvScanRange(resource, from, to, limit);
    }

    public static Command Queue()
    {
        var command = new Command("queue", "Use a queue resource (queue:…), which holds named FIFO queues.");
        command.Subcommands.Add(Op("enqueue", "Append a value (JSON, or else a string) to a queue.", "queue:", [Arg("queue"), Arg("value")], write: true, (r, a, _) => CohortOps.Enqueue(r, a[0], CliRun.ParseValue(a[1]))));
        command.Subcommands.Add(Op("dequeue", "Take the head of a queue (null when empty).", "queue:", [Arg("queue")], write: true, (r, a, _) => CohortOps.Dequeue(r, a[0])));
        command.Subcommands.Add(Op("peek", "The head of a queue without taking it.", "queue:", [Arg("queue")], write: false, (r, a, _) => CohortOps.Peek(r, a[0])));
        command.Subcommands.Add(Op("size", "The number of items in a queue.", "queue:", [Arg("queue")], write: false, (r, a, _) => CohortOps.QueueSize(r, a[0])));
        command.Subcommands.Add(Op("is-empty", "Whether a queue holds no item (true or false).", "queue:", [Arg("queue")], write: false, (r, a, _) => CohortOps.QueueIsEmpty(r, a[0])));
        command.Subcommands.Add(Op("clear", "Remove every item of a queue; prints how many were removed.", "queue:", [Arg("queue")], write: true, (r, a, _) => CohortOps.QueueClear(r, a[0])));
        return command;
    }

    public static Command Resource()
    {
        var command = new Command("resource", "Use a token resource (resource:…): exact amounts, no negative balances.");
        command.Subcommands.Add(Op("init", "Set the token's symbol and decimals (once).", "resource:", [Arg("symbol"), Arg("decimals")], write: true, (r, a, _) => CohortOps.Initialize(r, a[0], ParseInt(a[1], "decimals"))));
        command.Subcommands.Add(Op("mint", "Create an amount in an account.", "resource:", [Arg("to"), Arg("amount")], write: true, (r, a, _) => CohortOps.Mint(r, a[0], ParseAmount(a[1]))));
        command.Subcommands.Add(Op("burn", "Destroy an amount from an account.", "resource:", [Arg("from"), Arg("amount")], write: true, (r, a, _) => CohortOps.Burn(r, a[0], ParseAmount(a[1]))));
        command.Subcommands.Add(Op("transfer", "Move an amount between accounts.", "resource:", [Arg("from"), Arg("to"), Arg("amount")], write: true, (r, a, _) => CohortOps.Transfer(r, a[0], a[1], ParseAmount(a[2]))));
        command.Subcommands.Add(Op("balance", "An account's balance.", "resource:", [Arg("account")], write: false, (r, a, _) => CohortOps.Balance(r, a[0])));
        command.Subcommands.Add(Op("supply", "The total supply.", "resource:", [], write: false, (r, _, _) => CohortOps.Supply(r)));
        command.Subcommands.Add(Op("metadata", "The token's metadata.", "resource:", [], write: false, (r, _, _) => CohortOps.Metadata(r)));
        command.Subcommands.Add(Op(
            "update-metadata",
            "Set metadata fields, each FIELD=VALUE (VALUE JSON, or else a string; any field but decimals); prints the metadata after the update.",
            "resource:",
            [new Argument<string[]>("fields") { Description = "FIELD=VALUE pairs, e.g. name=Points 'tags=[\"a\"]'.", Arity = ArgumentArity.OneOrMore }],
            write: true,
            (r, a, _) => CohortOps.UpdateMetadata(r, Fields(a))));
        return command;
    }

    // FIELD=VALUE pairs of update-metadata: each field once, its value JSON or else a string.
    private static List<KeyValuePair<string, Value>> Fields(string[] pairs)
    {
        var fields = new List<KeyValuePair<string, Value>>();
        foreach (var pair in pairs)
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                throw new FormatException($"'{pair}' is not FIELD=VALUE");
            }

            var field = pair[..at];
            if (fields.Any(f => f.Key == field))
            {
                throw new FormatException($"field '{field}' is given twice");
            }

            fields.Add(new(field, CliRun.ParseValue(pair[(at + 1)..])));
        }

        return fields;
    }

    private static Argument<string> Arg(string name, bool optional = false) =>
        new(name) { Arity = optional ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne };

    private static Command Op(string name, string description, string prefix, Argument[] arguments, bool write, Func<string, string[], ParseResult, CohortOperation> build, params Option[] options)
    {
        var resource = new Option<string>("--resource", "-r") { Description = $"The resource ({prefix}…).", Required = true };
        var command = new Command(name, description) { resource };
        foreach (var option in options)
        {
            command.Options.Add(option);
        }

        foreach (var argument in arguments)
        {
            command.Arguments.Add(argument);
        }

        var flags = ClientFlags.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var commandName = $"{prefix.TrimEnd(':')} {name}";
            var output = flags.Output(result, commandName);
            var target = result.GetValue(resource)!;
            if (!target.StartsWith(prefix, StringComparison.Ordinal) || target.Length == prefix.Length)
            {
                return output.BadInput($"--resource '{target}' is not a {prefix.TrimEnd(':')} resource ({prefix}…)");
            }

            var values = arguments.SelectMany(a => a switch
            {
                Argument<string[]> many => result.GetValue(many) ?? [],
                Argument<string> one when result.GetValue(one) is { } value => [value],
                _ => Array.Empty<string>(),
            }).ToArray();
            using var client = flags.Client(result);
            return await CliRun.GuardAsync(output, async () =>
            {
                var operation = build(target, values, result);
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
