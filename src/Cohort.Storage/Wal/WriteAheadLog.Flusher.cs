using Cohort.Core.Execution;
using Cohort.Storage.IO;

namespace Cohort.Storage.Wal;

/// <content>
/// The flusher: writes batches in order, fsyncs once per batch and rotates segments. A dedicated thread loops over
/// <see cref="Drain"/>; under simulation every signal posts one <see cref="FlushPass"/> instead.
/// </content>
public sealed partial class WriteAheadLog
{
    private Promise? _inFlight;

    private void FlushLoop()
    {
        try
        {
            while (true)
            {
                // The dedicated flusher thread blocks here on purpose; under simulation FlushPass runs instead.
                _work.Wait(_stop.Token);
                if (!Drain())
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
        finally
        {
            _flusherExited.TrySetResult();
        }
    }

    // Under simulation, posted to the simulation's executor by Signal: what one iteration of FlushLoop does.
    private void FlushPass()
    {
        if (_flusherExited.IsSettled)
        {
            return; // disposed, or failed
        }

        if (!Drain())
        {
            _flusherExited.TrySetResult();
        }
    }

    // Writes every batch pending; false when a write or fsync failed (the log has failed and the flusher stops).
    private bool Drain()
    {
        while (TakeBatch() is { } batch)
        {
            try
            {
                WriteBatch(batch);
            }
            catch (Exception e)
            {
                Fail(batch, e);
                return false;
            }

            batch.Done.TrySetResult();
            lock (_gate)
            {
                _inFlight = null;
                batch.Reset();
                _spare = batch;
            }
        }

        return true;
    }

    private Batch? TakeBatch()
    {
        lock (_gate)
        {
            _signalled = false;
            Batch batch;
            if (_sealed.Count > 0)
            {
                batch = _sealed.Dequeue();
            }
            else if (_open.Buffer.WrittenCount > 0)
            {
                batch = _open;
                _open = _spare ?? new Batch();
                _spare = null;
            }
            else
            {
                return null;
            }

            _inFlight = batch.Done;
            return batch;
        }
    }

    private void WriteBatch(Batch batch)
    {
        var bytes = batch.Buffer.WrittenSpan;
        if (!bytes.IsEmpty)
        {
            _file.Write(bytes, _fileLength);
            _fileLength += bytes.Length;
            Interlocked.Add(ref _bytesWritten, bytes.Length);
            if (_options.Durability == DurabilityMode.Fsync)
            {
                _file.Fsync();
            }

            Interlocked.Increment(ref _flushCount);
        }

        long? next = batch.RotateTo;
        if (next is null && _fileLength >= _options.SegmentBytes)
        {
            lock (_gate)
            {
                // A pending explicit rotation will switch files itself; rotating here too would break its promise.
                if (_sealed.Count == 0)
                {
                    next = ++_appendSegment;
                }
            }
        }

        if (next is { } index)
        {
            SwitchSegment(index);
        }
    }

    private void SwitchSegment(long index)
    {
        var file = CreateSegment(_options.FileSystem, _options.Directory, index);
        var old = _file;
        _file = file;
        _fileSegment = index;
        _fileLength = 0;
        old.Dispose();
    }

    private static StorageFile CreateSegment(FileSystem fileSystem, string directory, long index)
    {
        var file = fileSystem.OpenFile(SegmentPath(directory, index), createIfMissing: true);
        try
        {
            fileSystem.FsyncDirectory(directory);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        return file;
    }

    private void Fail(Batch batch, Exception error)
    {
        List<Promise> pending = [batch.Done];
        lock (_gate)
        {
            // After a failed write or fsync the file's state is unknown (fsyncgate): stop accepting writes.
            _failure = error;
            foreach (var b in _sealed)
            {
                pending.Add(b.Done);
            }

            pending.Add(_open.Done);
            _sealed.Clear();
        }

        var failure = new IOException($"Write-ahead log write failed in '{SegmentPath(_options.Directory, _fileSegment)}': {error.Message}", error);

        // The owner first: a fail-stop handler stops the process before any waiter acts on the failure.
        try
        {
            _options.OnFailure?.Invoke(failure);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A handler must not throw; the log has failed either way and its waiters learn it below.
        }

        foreach (var promise in pending)
        {
            promise.TrySetException(new IOException(failure.Message, error));
        }
    }
}
