using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>The answer to a <see cref="BatchPrepareRequest"/>.</summary>
/// <param name="Results">The operations' results in order (empty when one failed).</param>
/// <param name="Vote">The vote; <see cref="VoteKind.No"/> when an operation failed. With one-phase commit, Yes means committed.</param>
/// <param name="Error">The error code of the failed operation, if one failed.</param>
public sealed record BatchPrepareResult(IReadOnlyList<Value> Results, Vote Vote, string? Error);
