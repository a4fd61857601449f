using System.Collections.Immutable;
using Cohort.Core;

namespace Cohort.Client;

/// <summary>Snapshot reads: the snapshot they saw and each result in order.</summary>
/// <param name="AsOf">The snapshot timestamp; pass it again to read the same state.</param>
/// <param name="Results">Each operation's result, in order.</param>
public sealed record ReadResult(HlcTimestamp AsOf, ImmutableArray<Value> Results);
