namespace Cohort.Storage.IO;

/// <summary>An open file of a <see cref="FileSystem"/>, written at explicit offsets (no position of its own).</summary>
public abstract class StorageFile : IDisposable
{
    /// <summary>The file's current length in bytes.</summary>
    public abstract long Length { get; }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>, extending the file when it runs past the end.</summary>
    public abstract void Write(ReadOnlySpan<byte> data, long offset);

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> without blocking the caller where the platform allows.</summary>
    public virtual ValueTask WriteAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(data.Span, offset);
        return ValueTask.CompletedTask;
    }

    /// <summary>Truncates or extends (with zeros) the file to <paramref name="length"/> bytes.</summary>
    public abstract void SetLength(long length);

    /// <summary>Makes the file's contents and length durable (fsync).</summary>
    /// <exception cref="IOException">The data may not be on disk; what the file holds after a crash is then unknown.</exception>
    public abstract void Fsync();

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the file; <paramref name="disposing"/> is false from a finalizer.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
