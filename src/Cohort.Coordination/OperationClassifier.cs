using Cohort.Core;

namespace Cohort.Coordination;

/// <summary>
/// Tells operations that cannot write from those that may. Only a guess used to pick one-phase commit: a
/// participant thought read-only that votes Yes is simply treated as a writer.
/// </summary>
internal static class OperationClassifier
{
    private static readonly HashSet<string> ReadOnlyNames = new(StringComparer.Ordinal)
    {
        "get", "scan", "peek", "size", "is_empty", "balance", "supply", "metadata",
    };

    public static bool MayWrite(Operation operation) => !ReadOnlyNames.Contains(operation.Name);
}
