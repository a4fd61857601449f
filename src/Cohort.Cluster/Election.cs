namespace Cohort.Cluster;

/// <summary>
/// The seed's election rule, kept: the current master stays while it is alive; otherwise the lowest alive address
/// (ordinal order) is the candidate. Nobody alive, no master.
/// </summary>
public static class Election
{
    /// <summary>The master the rule picks among <paramref name="alive"/>, given the <paramref name="current"/> one.</summary>
    public static string? Choose(string? current, IEnumerable<string> alive)
    {
        ArgumentNullException.ThrowIfNull(alive);
        string? lowest = null;
        foreach (var address in alive)
        {
            if (address == current)
            {
                return current;
            }

            if (lowest is null || string.CompareOrdinal(address, lowest) < 0)
            {
                lowest = address;
            }
        }

        return lowest;
    }

    /// <summary>
    /// Between two claims of leadership, the one that wins: the higher epoch, and at equal epochs (two nodes that
    /// elected themselves at once) the lower address.
    /// </summary>
    public static bool Supersedes(long epoch, string? master, long otherEpoch, string? otherMaster) =>
        epoch > otherEpoch
        || (epoch == otherEpoch && master is not null && (otherMaster is null || string.CompareOrdinal(master, otherMaster) < 0));
}
