namespace Cohort.Coordination;

/// <summary>Where resources live.</summary>
public interface IPlacement
{
    /// <summary>The id of the home node of <paramref name="resource"/>, or null when no node hosts it.</summary>
    string? NodeOf(string resource);
}
