using Cohort.Core;

namespace Cohort.Sql.Planning;

/// <summary>
/// The working table of one recursive query: the rows the previous step produced, which the recursive term reads
/// through a <see cref="WorkTableScanNode"/>. The plan holds only this identity; the rows of an execution live in its
/// <see cref="ExecutionState"/>.
/// </summary>
/// <param name="name">The name of the recursive query, for messages and EXPLAIN.</param>
internal sealed class WorkTable(string name)
{
    public string Name { get; } = name;
}
