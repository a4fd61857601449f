namespace Cohort.Simulation.Disk;

/// <summary>Thrown by a <see cref="SimulatedDisk"/> call in which an armed crash struck: the machine lost power there.</summary>
public sealed class SimulatedCrashException : IOException
{
    /// <summary>Creates the exception.</summary>
    public SimulatedCrashException()
        : base("The simulated machine crashed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SimulatedCrashException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public SimulatedCrashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
