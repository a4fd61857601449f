using System.Collections.Immutable;
using System.CommandLine;
using Cohort.Client;
using Cohort.Core;
using Cohort.Protocol;
using Spectre.Console;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort tx list [--state in-doubt]</c> and <c>cohort tx show &lt;id&gt;</c>: the coordinator's records; <c>cohort tx
/// abort &lt;id&gt;</c>: ends an active transaction.
/// </summary>
internal static class TxCommand
{
    public static Command Create()
    {
        var command = new Command("tx", "List transactions, show one (state, participants, votes, decision), or abort an active one.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Abort());
        return command;
    }

    private static Command List()
    {
        var state = new Option<string?>("--state") { Description = "Only this state: active, preparing, committing, committed, aborted or in-doubt." };
        var limit = new Option<int?>("--limit") { Description = $"Transactions per page, 1 to {CohortClient.MaxTransactionPage} (default 100)." };
        var after = new Option<string?>("--after") { Description = "Start after this transaction id: the 'next' a previous page printed." };
        var all = new Option<bool>("--all") { Description = "Every page, not just one." };
        var label = new Option<string?>("--label") { Description = "Only transactions begun with exactly this label." };
        label.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && text.Length is < 1 or > 256)
            {
                r.AddError("--label must be 1 to 256 characters");
            }
        });
        var command = new Command("list", "List the transactions the coordinators know, oldest first, one page at a time (optionally in one state, or with one label).") { state, limit, after, all, label };
        var flags = ClientFlags.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "tx list");
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

            using var client = flags.Client(result);
            return await CliRun.GuardAsync(output, async () =>
            {
                IReadOnlyList<TransactionInfo> list;
                TxId? next = null;
                if (result.GetValue(all))
                {
                    var every = new List<TransactionInfo>();
                    do
                    {
                        var page = await client.ListTransactionPageAsync(filter, result.GetValue(limit) ?? CohortClient.MaxTransactionPage, start, result.GetValue(label), cancellationToken).ConfigureAwait(false);
                        every.AddRange(page.Transactions);
                        start = page.Next;
                    }
                    while (start is not null);
                    list = every;
                }
                else
                {
                    var page = await client.ListTransactionPageAsync(filter, result.GetValue(limit), start, result.GetValue(label), cancellationToken).ConfigureAwait(false);
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

    private static Command Show() => OneTransaction("show", "Show one transaction: state, deadline, participants with their votes, decision.", async (client, txId, output, cancellationToken) =>
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
    });

    // POST /v1/tx/{id}/abort: idempotent; a transaction already committed (or committing) cannot be aborted, which exits 1.
    private static Command Abort() => OneTransaction("abort", "Abort an active transaction (POST /v1/tx/{id}/abort); exits 0 when it is aborted (also when it already was), 1 when it committed or is being committed, 3 when its outcome is in doubt.", async (client, txId, output, cancellationToken) =>
    {
        var answer = await client.SendAsync(HttpMethod.Post, $"v1/tx/{txId}/abort", null, idempotent: true, cancellationToken).ConfigureAwait(false);
        var status = answer.Kind == ValueKind.Map && answer.TryGetField("status", out var s) && s.Kind == ValueKind.String ? s.AsString() : "unknown";
        switch (status)
        {
            case "aborted":
                output.Result(answer, () => $"transaction {txId}: aborted");
                return ExitCodes.Ok;
            case "in-doubt":
                return output.Fail(ExitCodes.InDoubt, "in_doubt", $"transaction {txId} is in doubt (look it up later: cohort tx show {txId})");
            default:
                return output.Fail(ExitCodes.Failed, "not_aborted", $"transaction {txId} is {status}: it can no longer be aborted");
        }
    });

    // A command on one transaction id: the shared flags, the id checked (exit 2), the client's failures mapped.
    private static Command OneTransaction(string name, string description, Func<CohortClient, TxId, CliOutput, CancellationToken, Task<int>> run)
    {
        var id = new Argument<string>("tx-id") { Description = "The transaction id (as tx list prints it)." };
        var command = new Command(name, description) { id };
        var flags = ClientFlags.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "tx " + name);
            if (!TxId.TryParse(result.GetValue(id), out var txId))
            {
                return output.BadInput($"'{result.GetValue(id)}' is not a transaction id");
            }

            using var client = flags.Client(result);
            return await CliRun.GuardAsync(output, () => run(client, txId, output, cancellationToken)).ConfigureAwait(false);
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
