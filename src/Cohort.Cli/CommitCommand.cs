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
        var master = CliOptions.Master();
        var payload = new Option<string>("--payload") { Description = "The JSON payload, e.g. '{\"table\":\"users\",\"values\":{\"id\":1}}' or '{\"sql\":\"INSERT …\"}'.", Required = true };
        var token = CliOptions.AuthToken();
        var json = CliOptions.Json();
        var command = new Command("commit", "Run one payload atomically on every alive node's sql:default shard (POST /transaction).") { master, payload, token, json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput("commit", result.GetValue(json));
            Value body;
            try
            {
                body = ValueJson.Parse(result.GetValue(payload)!);
            }
            catch (CohortException e)
            {
                return output.BadInput($"--payload is not valid JSON: {e.Message}");
            }

            using var http = new CliHttp(result.GetValue(token));
            var answer = await http.SendAsync(result.GetValue(master)!, HttpMethod.Post, "transaction", Value.Map(("payload", body)), cancellationToken).ConfigureAwait(false);
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
