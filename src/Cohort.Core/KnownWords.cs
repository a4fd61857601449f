using System.Text;

namespace Cohort.Core;

/// <summary>
/// Words that recur in nearly every JSON document Cohort reads (the API's and the node protocol's property names and
/// a few values): the reader returns these shared instances instead of allocating the same short string again.
/// </summary>
internal static class KnownWords
{
    private const int MaxLength = 32;

    private static readonly string[] Words =
    [
        // The node protocol (WireFormat, MessageFrames).
        "id", "path", "body", "status", "tx_id", "epoch", "deadline", "resource", "op", "ops", "coordinator", "one_phase",
        "results", "result", "wrote", "vote", "prepare_ts", "reason", "error", "commit_ts", "participants", "node", "sequence",
        "operation_count", "decision", "yes", "no", "read-only", "committed", "aborted", "pending", "in-doubt",
        "internal/batch", "internal/prepare", "internal/commit", "internal/commit-many", "internal/commit-one-phase",
        "internal/abort", "internal/apply", "internal/read", "commits", "ok",
        // The API and the engines' arguments and answers.
        "timeout_ms", "label", "outcome", "code", "detail", "title", "key", "value", "prefix", "limit", "params", "table",
        "operation", "data", "where", "rows", "columns", "affected", "queue", "from", "to", "amount", "account", "insert",
        "update", "upsert",

        // The engines' operations.
        .. OperationNames.All,
    ];

    // By length, then scanned: each bucket holds a handful of words.
    private static readonly (byte[] Utf8, string Text)[][] ByLength = Build();

    /// <summary>The shared instance of the word spelled by <paramref name="utf8"/>, or null.</summary>
    public static string? Find(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length is 0 or > MaxLength)
        {
            return null;
        }

        foreach (var (bytes, text) in ByLength[utf8.Length])
        {
            if (utf8.SequenceEqual(bytes))
            {
                return text;
            }
        }

        return null;
    }

    private static (byte[] Utf8, string Text)[][] Build()
    {
        var buckets = new List<(byte[], string)>[MaxLength + 1];
        foreach (var word in Words.Distinct(StringComparer.Ordinal))
        {
            var bytes = Encoding.UTF8.GetBytes(word);
            (buckets[bytes.Length] ??= []).Add((bytes, word));
        }

        return [.. buckets.Select(b => b?.ToArray() ?? [])];
    }
}
