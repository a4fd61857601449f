using Cohort.Core;

namespace Cohort.Client;

/// <summary>Where typed clients send their operations: a transaction (locks, writes) or a snapshot (lock-free reads).</summary>
internal interface IOperationRunner
{
    Task<Value> RunAsync(CohortOperation operation, CancellationToken cancellationToken);
}
