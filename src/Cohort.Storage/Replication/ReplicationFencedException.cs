namespace Cohort.Storage.Replication;

/// <summary>
/// A replica refused this primary's configuration version: another primary has taken over, and nothing more may be
/// acknowledged here. An <see cref="IOException"/>, because to the state machine it is a write whose fate is unknown
/// here (the new primary may hold it).
/// </summary>
public sealed class ReplicationFencedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ReplicationFencedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReplicationFencedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReplicationFencedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
