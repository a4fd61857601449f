using System.CommandLine;
using System.Text;
using Cohort.Client;
using Cohort.Core;
using Cohort.Protocol;
using Spectre.Console;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort sql [statements…]</c>: runs the given statements in one atomic transaction, or, with none, reads statements
/// (ending with <c>;</c>) from a prompt (or from stdin when it is redirected) and runs each on its own.
/// </summary>
internal static class SqlCommand
{
    public static Command Create()
    {
        var nodes = CliOptions.Nodes();
        var resource = new Option<string>("--resource", "-r") { Description = "The SQL resource (sql:… or pg:…).", DefaultValueFactory = _ => ResourceNames.DefaultSql };
        var token = CliOptions.AuthToken();
        var json = CliOptions.Json();
        var statements = new Argument<string[]>("statements") { Description = "SQL statements, run together in one transaction; none for an interactive prompt.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("sql", "Run SQL statements against a resource (default sql:default), or open a prompt.") { nodes, resource, token, json, statements };
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = new CliOutput("sql", result.GetValue(json));
            var name = result.GetValue(resource)!;
            if (!ResourceNames.IsSql(name))
            {
                return output.BadInput($"--resource '{name}' is not a SQL resource (sql:… or pg:…)");
            }

            using var client = CliRun.Client(result.GetValue(nodes), result.GetValue(token));
            var given = result.GetValue(statements) ?? [];
            if (given.Length > 0)
            {
                return await CliRun.GuardAsync(output, () => RunAsync(client, name, [.. given.SelectMany(Split)], output, cancellationToken)).ConfigureAwait(false);
            }

            return await PromptAsync(client, name, output, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Splits text into statements at semicolons outside quotes.</summary>
    internal static IEnumerable<string> Split(string text)
    {
        var current = new StringBuilder();
        char? quote = null;
        foreach (var c in text)
        {
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == ';')
            {
                if (current.ToString().Trim() is { Length: > 0 } statement)
                {
                    yield return statement;
                }

                current.Clear();
                continue;
            }

            current.Append(c);
        }

        if (current.ToString().Trim() is { Length: > 0 } last)
        {
            yield return last;
        }
    }

    private static async Task<int> RunAsync(CohortClient client, string resource, IReadOnlyList<string> statements, CliOutput output, CancellationToken cancellationToken)
    {
        var batch = await client.BatchAsync([.. statements.Select(s => CohortOps.Sql(resource, s))], null, "cohort sql", cancellationToken).ConfigureAwait(false);
        if (output.IsJson)
        {
            output.Result(Value.Map(("tx_id", batch.TxId.ToString()), ("status", "committed"), ("results", Value.List(batch.Results))), () => string.Empty);
            return ExitCodes.Ok;
        }

        foreach (var (statement, value) in statements.Zip(batch.Results))
        {
            Print(statement, SqlResult.FromValue(value));
        }

        return ExitCodes.Ok;
    }

    private static void Print(string statement, SqlResult result)
    {
        var console = CliOutput.Ansi();
        if (result.Columns.Length == 0)
        {
            console.WriteLine($"{Verb(statement)} {result.Affected}");
            return;
        }

        var table = new Table();
        foreach (var column in result.Columns)
        {
            table.AddColumn(Markup.Escape(column));
        }

        foreach (var row in result.Rows)
        {
            table.AddRow(row.Values.Select(v => Markup.Escape(CliRun.Show(v))).ToArray());
        }

        console.Write(table);
        console.WriteLine($"({result.Rows.Count} row{(result.Rows.Count == 1 ? string.Empty : "s")})");
    }

    private static string Verb(string statement)
    {
        var word = statement.TrimStart().Split(' ', 2)[0].ToUpperInvariant();
        return word is "" ? "OK" : word;
    }

    private static async Task<int> PromptAsync(CohortClient client, string resource, CliOutput output, CancellationToken cancellationToken)
    {
        var interactive = !Console.IsInputRedirected;
        if (interactive)
        {
            Console.WriteLine($"cohort sql on {resource}: end statements with ';', each runs as its own transaction. \\q quits.");
        }

        var failures = 0;
        var pending = new StringBuilder();
        while (!cancellationToken.IsCancellationRequested)
        {
            if (interactive)
            {
                Console.Write(pending.Length == 0 ? "sql> " : "...> ");
            }

            var line = await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null || (pending.Length == 0 && line.Trim() is "\\q" or "exit" or "quit"))
            {
                break;
            }

            pending.AppendLine(line);
            var text = pending.ToString();
            if (!text.TrimEnd().EndsWith(';'))
            {
                continue;
            }

            pending.Clear();
            foreach (var statement in Split(text))
            {
                var code = await CliRun.GuardAsync(output, () => RunAsync(client, resource, [statement], output, cancellationToken)).ConfigureAwait(false);
                failures += code == ExitCodes.Ok ? 0 : 1;
            }
        }

        if (pending.ToString().Trim() is { Length: > 0 } rest)
        {
            var code = await CliRun.GuardAsync(output, () => RunAsync(client, resource, [.. Split(rest)], output, cancellationToken)).ConfigureAwait(false);
            failures += code == ExitCodes.Ok ? 0 : 1;
        }

        return failures == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
