namespace Cohort.Storage.Replication;

/// <summary>Why a replica refused a shipment.</summary>
public enum ReplicaRefusal : byte
{
    /// <summary>The shipment's configuration version is older than one the replica has seen: the sender was superseded.</summary>
    Stale = 1,

    /// <summary>The shipment does not continue the replica's stream (it restarted, or missed entries): it needs a reset.</summary>
    Gap = 2,
}

/// <summary>A replica's refusal of a shipment (see <see cref="ReplicaRefusal"/>).</summary>
public sealed class ReplicaRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ReplicaRefusedException(ReplicaRefusal reason, long knownVersion, string message)
        : base(message)
    {
        Reason = reason;
        KnownVersion = knownVersion;
    }

    /// <summary>Creates the exception.</summary>
    public ReplicaRefusedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReplicaRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReplicaRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Why.</summary>
    public ReplicaRefusal Reason { get; }

    /// <summary>The newest configuration version the replica has seen.</summary>
    public long KnownVersion { get; }
}
