using System.Collections.Immutable;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>A committed one-shot transaction: its id, commit timestamp and each operation's result in order.</summary>
/// <param name="TxId">The transaction id.</param>
/// <param name="CommitTimestamp">The commit timestamp (a snapshot <c>as_of</c> at or after it sees the writes).</param>
/// <param name="Results">Each operation's result, in the order given.</param>
public sealed record BatchResult(TxId TxId, HlcTimestamp CommitTimestamp, ImmutableArray<Value> Results);
