using System.Collections.Immutable;
using System.CommandLine;
using Cohort.Client;
using Cohort.Core;
using Cohort.Protocol;
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
        var limit = new Option<int?>("--limit") { Description = $"Transactions per page, 1 to {CohortClient.MaxTransactionPage} (default 100)." };
        var after = new Option<string?>("--after") { Description = "Start after this transaction id: the 'next' a previous page printed." };
        var all = new Option<bool>("--all") { Description = "Every page, not just one." };
        var json = CliOptions.Json();
        var command = new Command("list", "List the transactions the coordinators know, oldest first, one page at a time (optionally in one state).") { nodes, state, limit, after, all, token, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput("tx list", result.GetValue(json));
            TransactionState? filter = null;
            if (result.GetValue(state) is { } name)
            {
                var parsed = TransactionStateNames.Parse(name);
                if (parsed == TransactionState.Unknown)
                {
                    return output.BadInput($"--state '{name}' is not one of active, preparing, committing, committed, aborted, in-doubt");
                }

                filter = parsed;
            }

            if (result.GetValue(limit) is { } n && (n < 1 || n > CohortClient.MaxTransactionPage))
            {
                return output.BadInput($"--limit {n} is not between 1 and {CohortClient.MaxTransactionPage}");
            }

            TxId? start = null;
            if (result.GetValue(after) is { } afterText)
            {
                if (!TxId.TryParse(afterText, out var parsedAfter))
                {
                    return output.BadInput($"--after '{afterText}' is not a transaction id");
                }

                start = parsedAfter;
            }

            using var client = CliRun.Client(result.GetValue(nodes), result.GetValue(token));
            return await CliRun.GuardAsync(output, async () =>
            {
                IReadOnlyList<TransactionInfo> list;
                TxId? next = null;
                if (result.GetValue(all))
                {
                    var every = new List<TransactionInfo>();
                    do
                    {
                        var page = await client.ListTransactionPageAsync(filter, result.GetValue(limit) ?? CohortClient.MaxTransactionPage, start, cancellationToken).ConfigureAwait(false);
                        every.AddRange(page.Transactions);
                        start = page.Next;
                    }
                    while (start is not null);
                    list = every;
                }
                else
                {
                    var page = await client.ListTransactionPageAsync(filter, result.GetValue(limit), start, cancellationToken).ConfigureAwait(false);
                    (list, next) = (page.Transactions, page.Next);
                }

                output.Render(Value.Map(("transactions", Value.List(list.Select(ToValue).ToImmutableArray())), ("next", Value.From(next?.ToString()))), () =>
                {
                    var table = new Table().AddColumns("tx", "state", "label", "participants", "reason");
                    foreach (var tx in list)
                    {
                        table.AddRow(
                            tx.TxId.ToString(),
                            Markup.Escape(tx.State.ToWireName()),
                            Markup.Escape(tx.Label ?? "-"),
                            Markup.Escape(string.Join(", ", tx.Participants.Select(p => p.Resource))),
                            Markup.Escape(tx.Reason ?? "-"));
                    }

                    var more = next is { } cursor ? $"; more with --after {cursor}" : string.Empty;
                    return new Rows(table, new Text($"{list.Count} transaction{(list.Count == 1 ? string.Empty : "s")}{more}"));
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
                        new Text($"transaction {tx.TxId}: {tx.State.ToWireName()}{(tx.Reason is null ? string.Empty : $" ({tx.Reason})")}"),
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
        ("state", tx.State.ToWireName()),
        ("label", Value.From(tx.Label)),
        ("deadline", Value.From(tx.Deadline?.ToString("O", System.Globalization.CultureInfo.InvariantCulture))),
        ("reason", Value.From(tx.Reason)),
        ("commit_ts", tx.CommitTimestamp is { } ts ? ts.Value : Value.Null),
        ("participants", Value.List(tx.Participants.Select(p => Value.Map(
            ("resource", p.Resource), ("node", p.Node), ("writes", p.Writes), ("vote", Value.From(p.Vote)), ("acknowledged", p.Acknowledged))).ToImmutableArray())));
}
