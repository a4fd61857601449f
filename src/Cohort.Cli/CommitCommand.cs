using System.CommandLine;
using Cohort.Core;
using Cohort.Protocol;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort commit --master … --payload '&lt;json&gt;'</c>: the seed's command. Posts <c>/transaction</c>, which runs the
/// payload (a SQL statement object or a seed payload <c>{"table","operation","values","where"}</c>) on every alive node's
/// <c>sql:default</c> shard in one atomic transaction.
/// </summary>
internal static class CommitCommand
{
    public static Command Create()
    {
        var payload = new Option<string>("--payload") { Description = "The JSON payload, e.g. '{\"table\":\"users\",\"values\":{\"id\":1}}' or '{\"sql\":\"INSERT …\"}'.", Required = true };
        var command = new Command("commit", "Run one payload atomically on every alive node's sql:default shard (POST /transaction).") { payload };
        var flags = ClientFlags.AddTo(command, "The master's address (host:port), or any node's: it forwards; a comma-separated list tries the next only when a node cannot be connected to.", "--master", "--nodes", "--addr");
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "commit");
            Value body;
            try
            {
                body = ValueJson.Parse(result.GetValue(payload)!);
            }
            catch (CohortException e)
            {
                return output.BadInput($"--payload is not valid JSON: {e.Message}");
            }

            using var http = flags.Http(result);
            var answer = await http.SendFirstAsync(flags.Addresses(result), HttpMethod.Post, "transaction", Value.Map(("payload", body)), cancellationToken).ConfigureAwait(false);
            if (answer.Unreachable is { } unreachable)
            {
                return output.Unreachable(unreachable);
            }

            if (answer.IsProblem)
            {
                return output.Problem(answer);
            }

            var status = answer.Body.TryGetField("status", out var s) && s.Kind == ValueKind.String ? s.AsString() : "unknown";
            var txId = answer.Body.TryGetField("transaction_id", out var t) && t.Kind == ValueKind.String ? t.AsString() : "?";
            var message = answer.Body.TryGetField("message", out var m) && m.Kind == ValueKind.String ? m.AsString() : status;
            if (status == "committed" || output.IsJson)
            {
                output.Result(answer.Body, () => $"transaction {txId}: {message}");
            }
            else
            {
                await Console.Error.WriteLineAsync($"cohort commit: transaction {txId}: {message}").ConfigureAwait(false);
            }

            return status switch
            {
                "committed" => ExitCodes.Ok,
                "in-doubt" => ExitCodes.InDoubt,
                _ => ExitCodes.Failed,
            };
        });
        return command;
    }
}
