namespace Cohort.Cli;

/// <summary>The exit codes of every <c>cohort</c> command (documented in docs/operations.md).</summary>
internal static class ExitCodes
{
    /// <summary>Success (for a transaction: committed).</summary>
    public const int Ok = 0;

    /// <summary>The request failed: the transaction aborted, the node refused it, or a check did not hold.</summary>
    public const int Failed = 1;

    /// <summary>Bad input on the command line (a bad flag value, JSON that does not parse).</summary>
    public const int BadInput = 2;

    /// <summary>The outcome of a commit is not known (in doubt): look it up later with <c>cohort tx show</c>.</summary>
    public const int InDoubt = 3;

    /// <summary>No node could be reached.</summary>
    public const int Unreachable = 4;
}
