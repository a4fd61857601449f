using System.Collections.Immutable;
using System.CommandLine;
using System.Text;
using Cohort.Client;
using Cohort.Cluster;
using Cohort.Core;
using Cohort.Protocol;
using Spectre.Console;

namespace Cohort.Cli;

/// <summary>
/// <c>cohort sql [statements…]</c>: runs the given statements in one atomic transaction, or, with none, reads statements
/// (ending with <c>;</c>) from a prompt (or from stdin when it is redirected) and runs each on its own. Statements that
/// only read (<see cref="IsRead"/>) are one snapshot read (<c>POST /v1/read</c>), no transaction. A node's default shard
/// (<c>sql:default</c>, <c>pg:default</c>) is the one of the node <c>--addr</c> names, not the master's.
/// </summary>
internal static class SqlCommand
{
    public static Command Create()
    {
        var resource = new Option<string>("--resource", "-r")
        {
            Description = "The SQL resource (sql:… or pg:…); sql:default and pg:default are the shard of the node --addr names (the first that answers), sql:default@host:port another node's.",
            DefaultValueFactory = _ => ResourceNames.DefaultSql,
        };
        var statements = new Argument<string[]>("statements")
        {
            Description = "SQL statements, run together: one snapshot read when every one is a plain SELECT, EXPLAIN or WITH … SELECT, else one transaction; none for an interactive prompt.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("sql", "Run SQL statements against a resource (default: the node's sql:default shard), or open a prompt. Reads are snapshot reads (no transaction); anything that may write is an atomic transaction.") { resource, statements };
        var flags = ClientFlags.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var output = flags.Output(result, "sql");
            var name = result.GetValue(resource)!;
            if (!ResourceNames.IsSql(name))
            {
                return output.BadInput($"--resource '{name}' is not a SQL resource (sql:… or pg:…)");
            }

            using (var http = flags.Http(result, TimeSpan.FromSeconds(5)))
            {
                name = await ShardAsync(http, flags.Addresses(result), name, cancellationToken).ConfigureAwait(false);
            }

            using var client = flags.Client(result);
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

    /// <summary>
    /// Whether a statement surely only reads, decided conservatively: it starts with <c>SELECT</c>, <c>EXPLAIN</c> or
    /// <c>WITH</c> (after comments and opening parentheses) and has no word outside
    /// quotes and comments that could write or take locks (<c>INSERT</c>, <c>INTO</c>, <c>FOR</c> of <c>FOR UPDATE</c>,
    /// <c>ANALYZE</c> of <c>EXPLAIN ANALYZE</c>, …).
    /// </summary>
    internal static bool IsRead(string statement)
    {
        var words = Words(statement).ToList();
        return words.Count > 0 && ReadStarts.Contains(words[0]) && !words.Any(WriteWords.Contains);
    }

    private static readonly HashSet<string> ReadStarts = new(["SELECT", "EXPLAIN", "WITH"], StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> WriteWords = new(
        [
            "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "INTO", "CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME",
            "GRANT", "REVOKE", "COPY", "LOCK", "FOR", "CALL", "DO", "EXECUTE", "PREPARE", "SET", "RESET", "ANALYZE", "ANALYSE",
            "VACUUM", "REINDEX", "CLUSTER", "REFRESH", "COMMENT", "LISTEN", "NOTIFY", "DISCARD", "IMPORT", "SECURITY", "BEGIN",
            "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "NEXTVAL", "SETVAL",
        ],
        StringComparer.OrdinalIgnoreCase);

    // The bare words of a statement, leaving out string literals, quoted identifiers, dollar-quoted text and comments.
    private static IEnumerable<string> Words(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '\'' or '"' or '`')
            {
                var end = text.IndexOf(c, i + 1);
                i = end < 0 ? text.Length : end + 1;
            }
            else if (c == '-' && i + 1 < text.Length && text[i + 1] == '-')
            {
                var end = text.IndexOf('\n', i);
                i = end < 0 ? text.Length : end + 1;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + 2;
            }
            else if (c == '$' && text.IndexOf('$', i + 1) is var close and > 0 && text[(i + 1)..close].All(char.IsLetterOrDigit) && (close == i + 1 || !char.IsDigit(text[i + 1])))
            {
                var tag = text[i..(close + 1)];
                var end = text.IndexOf(tag, close + 1, StringComparison.Ordinal);
                i = end < 0 ? text.Length : end + tag.Length;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '$'))
                {
                    i++;
                }

                yield return text[start..i];
            }
            else
            {
                i++;
            }
        }
    }

    // sql:default and pg:default name the default shard of the node that runs them, which for a forwarded request would be
    // the master's: qualified with the address of the node --addr names (the first that answers), they are that node's.
    private static async Task<string> ShardAsync(CliHttp http, IReadOnlyList<string> addresses, string resource, CancellationToken cancellationToken)
    {
        if (!ClusterAgent.IsDefaultShard(resource) || resource.Contains(ClusterAgent.NodeSeparator, StringComparison.Ordinal))
        {
            return resource;
        }

        var health = await http.SendFirstAsync(addresses, HttpMethod.Get, "health", null, cancellationToken).ConfigureAwait(false);
        return health is { Unreachable: null, IsProblem: false } && health.Body.TryGetField("address", out var address) && address.Kind == ValueKind.String
            ? $"{resource}{ClusterAgent.NodeSeparator}{address.AsString()}"
            : resource;
    }

    private static async Task<int> RunAsync(CohortClient client, string resource, IReadOnlyList<string> statements, CliOutput output, CancellationToken cancellationToken)
    {
        if (statements.All(IsRead))
        {
            try
            {
                var read = await client.ReadAsync([.. statements.Select(s => CohortOps.Sql(resource, s))], null, cancellationToken).ConfigureAwait(false);
                return Show(statements, read.Results, Value.Map(("as_of", read.AsOf.Value), ("results", Value.List(read.Results))), output);
            }
            catch (CohortException e) when (e.Code == ErrorCodes.BadOperation && e.Message.Contains("not as a snapshot read", StringComparison.Ordinal))
            {
                // The node found that it writes after all (a function with side effects, say): run it as a transaction.
            }
        }

        var batch = await client.BatchAsync([.. statements.Select(s => CohortOps.Sql(resource, s))], null, "cohort sql", cancellationToken).ConfigureAwait(false);
        return Show(statements, batch.Results, Value.Map(("tx_id", batch.TxId.ToString()), ("status", "committed"), ("results", Value.List(batch.Results))), output);
    }

    private static int Show(IReadOnlyList<string> statements, ImmutableArray<Value> results, Value document, CliOutput output)
    {
        if (output.IsJson)
        {
            output.Result(document, () => string.Empty);
            return ExitCodes.Ok;
        }

        foreach (var (statement, value) in statements.Zip(results))
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
            Console.WriteLine($"cohort sql on {resource}: end statements with ';', each runs on its own (reads as snapshot reads, the rest as a transaction). \\q quits.");
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
