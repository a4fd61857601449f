using Cohort.Storage.Native;
using Microsoft.Win32.SafeHandles;

namespace Cohort.Storage.Wal;

/// <content>The flusher: one loop that writes batches in order, fsyncs once per batch and rotates segments.</content>
public sealed partial class WriteAheadLog
{
    private TaskCompletionSource? _inFlight;

    private void FlushLoop()
    {
        try
        {
            while (true)
            {
                _work.Wait(_stop.Token);
                while (TakeBatch() is { } batch)
                {
                    try
                    {
                        WriteBatch(batch);
                    }
                    catch (Exception e)
                    {
                        Fail(batch, e);
                        return;
                    }

                    batch.Done.TrySetResult();
                    lock (_gate)
                    {
                        _inFlight = null;
                        batch.Reset();
                        _spare = batch;
                    }
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
            RandomAccess.Write(_file, bytes, _fileLength);
            _fileLength += bytes.Length;
            Interlocked.Add(ref _bytesWritten, bytes.Length);
            if (_options.Durability == DurabilityMode.Fsync)
            {
                RandomAccess.FlushToDisk(_file);
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
        var file = CreateSegment(_options.Directory, index);
        var old = _file;
        _file = file;
        _fileSegment = index;
        _fileLength = 0;
        old.Dispose();
    }

    private static SafeFileHandle CreateSegment(string directory, long index)
    {
        var handle = File.OpenHandle(SegmentPath(directory, index), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        NativeFile.FsyncDirectory(directory);
        return handle;
    }

    private void Fail(Batch batch, Exception error)
    {
        List<TaskCompletionSource> pending = [batch.Done];
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

        foreach (var tcs in pending)
        {
            tcs.TrySetException(new IOException($"Write-ahead log write failed in '{SegmentPath(_options.Directory, _fileSegment)}': {error.Message}", error));
        }
    }
}
