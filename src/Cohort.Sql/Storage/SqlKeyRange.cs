namespace Cohort.Sql.Storage;

/// <summary>A half-open key range <c>[Low, High)</c>, usually between two <see cref="SqlKey"/> bounds.</summary>
/// <param name="Low">The first key of the range (inclusive; the <c>from</c> of a scan).</param>
/// <param name="High">The key ending the range (exclusive).</param>
internal readonly record struct SqlKeyRange(SqlKey Low, SqlKey High)
{
    /// <summary>Whether <paramref name="key"/> lies in the range.</summary>
    public bool Contains(SqlKey key) =>
        SqlKeyComparer.Instance.Compare(Low, key) <= 0 && SqlKeyComparer.Instance.Compare(key, High) < 0;

    /// <summary>Whether a key at or after <see cref="Low"/> is still in the range (the <c>inRange</c> of a scan).</summary>
    public bool IsBeforeHigh(SqlKey key) => SqlKeyComparer.Instance.Compare(key, High) < 0;
}
