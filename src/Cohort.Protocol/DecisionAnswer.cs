using Cohort.Core;

namespace Cohort.Protocol;

/// <summary>What the coordinator says about a transaction a participant holds prepared.</summary>
/// <param name="Kind">Committed, aborted or pending.</param>
/// <param name="CommitTimestamp">For <see cref="DecisionAnswerKind.Committed"/>: the commit timestamp.</param>
public readonly record struct DecisionAnswer(DecisionAnswerKind Kind, HlcTimestamp CommitTimestamp)
{
    /// <summary>Commit at <paramref name="commitTimestamp"/>.</summary>
    public static DecisionAnswer Committed(HlcTimestamp commitTimestamp) => new(DecisionAnswerKind.Committed, commitTimestamp);

    /// <summary>Abort.</summary>
    public static DecisionAnswer Aborted { get; } = new(DecisionAnswerKind.Aborted, default);

    /// <summary>Not decided yet; ask again.</summary>
    public static DecisionAnswer Pending { get; } = new(DecisionAnswerKind.Pending, default);
}
