namespace Cohort.Protocol;

/// <summary>A resource taking part in a transaction, and the node that hosts it.</summary>
/// <param name="Resource">The resource name, e.g. <c>kv:users</c>.</param>
/// <param name="Node">The id of the resource's home node.</param>
public readonly record struct Participant(string Resource, string Node)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Resource}@{Node}";
}
