namespace Cohort.Client;

/// <summary>One participant of a transaction, as the coordinator records it.</summary>
/// <param name="Resource">The resource.</param>
/// <param name="Node">The node hosting it.</param>
/// <param name="Writes">Whether the transaction may have written to it.</param>
/// <param name="Vote">Its vote (<c>Yes</c>, <c>No</c>, <c>ReadOnly</c>), or null before prepare.</param>
/// <param name="Acknowledged">Whether it acknowledged the outcome.</param>
public sealed record ParticipantInfo(string Resource, string Node, bool Writes, string? Vote, bool Acknowledged);
