using System.Runtime.CompilerServices;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>Typed operations on a key-value resource (<c>kv:…</c>), inside a transaction or at a snapshot.</summary>
public sealed class KvClient
{
    private readonly IOperationRunner _runner;

    internal KvClient(IOperationRunner runner, string resource)
    {
        _runner = runner;
        Resource = resource;
    }

    /// <summary>The resource name.</summary>
    public string Resource { get; }

    /// <summary>The value of <paramref name="key"/>, or <see cref="Value.Null"/> when it is missing.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The value.</returns>
    public Task<Value> GetAsync(string key, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.KvGet(Resource, key), cancellationToken);

    /// <summary>The string value of <paramref name="key"/>, or null when it is missing.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The string, or null.</returns>
    /// <exception cref="InvalidOperationException">The value is not a string.</exception>
    public async Task<string?> GetStringAsync(string key, CancellationToken cancellationToken = default)
    {
        var value = await GetAsync(key, cancellationToken).ConfigureAwait(false);
        return value.IsNull ? null : value.AsString();
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> (any <see cref="Value"/>: string, number, list, map, …).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the write is held by the transaction.</returns>
    public Task PutAsync(string key, Value value, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(CohortOps.KvPut(Resource, key, value), cancellationToken);

    /// <summary>Deletes <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the key existed.</returns>
    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var existed = await _runner.RunAsync(CohortOps.KvDelete(Resource, key), cancellationToken).ConfigureAwait(false);
        return existed.Kind == ValueKind.Bool && existed.AsBool();
    }

    /// <summary>Up to <paramref name="limit"/> entries whose keys start with <paramref name="prefix"/>, in key order.</summary>
    /// <param name="prefix">The key prefix ("" for all).</param>
    /// <param name="limit">The most entries to return.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries.</returns>
    public async Task<IReadOnlyList<KvEntry>> ScanAsync(string prefix, int limit = 100, CancellationToken cancellationToken = default) =>
        Entries(await _runner.RunAsync(CohortOps.KvScan(Resource, prefix, limit), cancellationToken).ConfigureAwait(false));

    /// <summary>Up to <paramref name="limit"/> entries with keys in [<paramref name="from"/>, <paramref name="to"/>), in key order.</summary>
    /// <param name="from">The first key (inclusive), or null for the start.</param>
    /// <param name="to">The end key (exclusive), or null for the end.</param>
    /// <param name="limit">The most entries to return.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries.</returns>
    public async Task<IReadOnlyList<KvEntry>> ScanRangeAsync(string? from, string? to, int limit = 100, CancellationToken cancellationToken = default) =>
        Entries(await _runner.RunAsync(CohortOps.KvScanRange(Resource, from, to, limit), cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Every entry whose key starts with <paramref name="prefix"/>, in key order, fetched <paramref name="pageSize"/> at a
    /// time as the enumeration goes (each page is one scan; in a snapshot every page reads the same state).
    /// </summary>
    /// <param name="prefix">The key prefix ("" for all).</param>
    /// <param name="pageSize">Entries per scan.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The entries.</returns>
    public async IAsyncEnumerable<KvEntry> ScanAllAsync(string prefix, int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var page = await ScanAsync(prefix, pageSize, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            foreach (var entry in page)
            {
                if (!entry.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield break;
                }

                yield return entry;
            }

            if (page.Count < pageSize)
            {
                yield break;
            }

            // The next page starts just after the last key ("\0" is the smallest suffix).
            page = await ScanRangeAsync(page[^1].Key + "\0", null, pageSize, cancellationToken).ConfigureAwait(false);
        }
    }

    private static List<KvEntry> Entries(Value result) =>
        result.Kind == ValueKind.List
            ? [.. result.AsList().Select(e => new KvEntry(e.TryGetField("key", out var k) && k.Kind == ValueKind.String ? k.AsString() : string.Empty, e.TryGetField("value", out var v) ? v : Value.Null))]
            : [];
}
