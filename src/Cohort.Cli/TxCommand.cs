using System.Collections.Immutable;
using System.CommandLine;
using Cohort.Client;
using Cohort.Core;
using Spectre.Console;

namespace Cohort.Cli;

/// <summary><c>cohort tx list [--state in-doubt]</c> and <c>cohort tx show &lt;id&gt;</c>: the coordinator's records.</summary>
internal static class TxCommand
{
    public static Command Create()
    {
        var command = new Command("tx", "List transactions or show one (state, participants, votes, decision).");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        return command;
    }

    private static Command List()
    {
        var nodes = CliOptions.Nodes();
        var state = new Option<string?>("--state") { Description = "Only this state: active, preparing, committing, committed, aborted or in-doubt." };
        var token = CliOptions.AuthToken();
        var json = CliOptions.Json();
        var command = new Command("list", "List the transactions the coordinator knows (recent ones), optionally in one state.") { nodes, state, token, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput("tx list", result.GetValue(json));
            CohortTransactionState? filter = null;
            if (result.GetValue(state) is { } name)
            {
                var parsed = TransactionInfo.ParseState(name);
                if (parsed == CohortTransactionState.Unknown)
                {
                    return output.BadInput($"--state '{name}' is not one of active, preparing, committing, committed, aborted, in-doubt");
                }

                filter = parsed;
            }

            using var client = CliRun.Client(result.GetValue(nodes), result.GetValue(token));
            return await CliRun.GuardAsync(output, async () =>
            {
                var list = await client.ListTransactionsAsync(filter, cancellationToken).ConfigureAwait(false);
                output.Render(Value.Map(("transactions", Value.List(list.Select(ToValue).ToImmutableArray()))), () =>
                {
                    var table = new Table().AddColumns("tx", "state", "label", "participants", "reason");
                    foreach (var tx in list)
                    {
                        table.AddRow(
                            tx.TxId.ToString(),
                            Markup.Escape(TransactionInfo.WireName(tx.State)),
                            Markup.Escape(tx.Label ?? "-"),
                            Markup.Escape(string.Join(", ", tx.Participants.Select(p => p.Resource))),
                            Markup.Escape(tx.Reason ?? "-"));
                    }

                    return new Rows(table, new Text($"{list.Count} transaction{(list.Count == 1 ? string.Empty : "s")}"));
                });
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Command Show()
    {
        var nodes = CliOptions.Nodes();
        var id = new Argument<string>("tx-id") { Description = "The transaction id." };
        var token = CliOptions.AuthToken();
        var json = CliOptions.Json();
        var command = new Command("show", "Show one transaction: state, deadline, participants with their votes, decision.") { nodes, token, json, id };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput("tx show", result.GetValue(json));
            if (!TxId.TryParse(result.GetValue(id), out var txId))
            {
                return output.BadInput($"'{result.GetValue(id)}' is not a transaction id");
            }

            using var client = CliRun.Client(result.GetValue(nodes), result.GetValue(token));
            return await CliRun.GuardAsync(output, async () =>
            {
                var tx = await client.GetTransactionAsync(txId, cancellationToken).ConfigureAwait(false);
                output.Render(ToValue(tx), () =>
                {
                    var table = new Table().AddColumns("resource", "node", "writes", "vote", "acknowledged");
                    foreach (var p in tx.Participants)
                    {
                        table.AddRow(Markup.Escape(p.Resource), Markup.Escape(p.Node), p.Writes ? "yes" : "no", Markup.Escape(p.Vote ?? "-"), p.Acknowledged ? "yes" : "no");
                    }

                    return new Rows(
                        new Text($"transaction {tx.TxId}: {TransactionInfo.WireName(tx.State)}{(tx.Reason is null ? string.Empty : $" ({tx.Reason})")}"),
                        new Text($"label {tx.Label ?? "-"}, deadline {tx.Deadline?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "-"}, commit_ts {(tx.CommitTimestamp is { } ts ? ts.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")}"),
                        table);
                });
                return ExitCodes.Ok;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Value ToValue(TransactionInfo tx) => Value.Map(
        ("tx_id", tx.TxId.ToString()),
        ("state", TransactionInfo.WireName(tx.State)),
        ("label", Value.From(tx.Label)),
        ("deadline", Value.From(tx.Deadline?.ToString("O", System.Globalization.CultureInfo.InvariantCulture))),
        ("reason", Value.From(tx.Reason)),
        ("commit_ts", tx.CommitTimestamp is { } ts ? ts.Value : Value.Null),
        ("participants", Value.List(tx.Participants.Select(p => Value.Map(
            ("resource", p.Resource), ("node", p.Node), ("writes", p.Writes), ("vote", Value.From(p.Vote)), ("acknowledged", p.Acknowledged))).ToImmutableArray())));
}
