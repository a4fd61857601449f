namespace Cohort.Storage.StateMachines;

/// <summary>What a <see cref="LoggedStateMachine.CheckpointAsync"/> did.</summary>
/// <param name="Segment">The log segment the snapshot starts recovery at.</param>
/// <param name="SnapshotBytes">The snapshot's size.</param>
/// <param name="DeletedSegments">Log segments deleted because the snapshot covers them.</param>
public readonly record struct CheckpointResult(long Segment, int SnapshotBytes, int DeletedSegments);
