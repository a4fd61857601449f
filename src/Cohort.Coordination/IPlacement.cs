namespace Cohort.Coordination;

/// <summary>Where resources live.</summary>
public interface IPlacement
{
    /// <summary>The id of the home node of <paramref name="resource"/>, or null when no node hosts it.</summary>
    string? NodeOf(string resource);

    /// <summary>
    /// The configuration term of <paramref name="resource"/> when it is replicated (the term of its primary), sent with
    /// every participant request so that a primary that was replaced, or a sender with an older view, is refused; 0 when
    /// it is not replicated.
    /// </summary>
    long TermOf(string resource) => 0;
}
