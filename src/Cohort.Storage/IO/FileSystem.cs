namespace Cohort.Storage.IO;

/// <summary>
/// The file-system calls the storage kernel makes (the write-ahead log, snapshots, <see cref="DurableFile"/>), so that a
/// deterministic simulation can put a simulated disk with crash semantics under the real code. <see cref="Real"/> is the
/// operating system's and the default everywhere.
/// </summary>
/// <remarks>
/// Durability follows POSIX: bytes written to a file survive a crash once <see cref="StorageFile.Fsync"/> returned; a
/// file's creation, rename or deletion survives once <see cref="FsyncDirectory"/> of its directory returned.
/// </remarks>
public abstract class FileSystem
{
    /// <summary>The operating system's file system.</summary>
    public static FileSystem Real { get; } = new OsFileSystem();

    /// <summary>
    /// Creates <paramref name="path"/>, or empties it when it exists, for writing; nobody else may open it meanwhile.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="unixCreateMode">Permissions of a newly created file (ignored on Windows); null for the default.</param>
    public abstract StorageFile CreateFile(string path, UnixFileMode? unixCreateMode = null);

    /// <summary>Opens <paramref name="path"/> for reading and writing at any offset; others may open it to read.</summary>
    /// <param name="path">The file.</param>
    /// <param name="createIfMissing">Create an empty file when there is none (else <see cref="FileNotFoundException"/>).</param>
    public abstract StorageFile OpenFile(string path, bool createIfMissing);

    /// <summary>The whole contents of <paramref name="path"/>.</summary>
    public abstract byte[] ReadAllBytes(string path);

    /// <summary>Whether <paramref name="path"/> is an existing file.</summary>
    public abstract bool FileExists(string path);

    /// <summary>Whether <paramref name="path"/> is an existing directory.</summary>
    public abstract bool DirectoryExists(string path);

    /// <summary>Creates <paramref name="path"/> and any missing parent; nothing when it exists.</summary>
    public abstract void CreateDirectory(string path);

    /// <summary>Makes the entries of directory <paramref name="path"/> (files created, renamed or deleted in it) durable.</summary>
    public abstract void FsyncDirectory(string path);

    /// <summary>Renames <paramref name="source"/> to <paramref name="destination"/>, atomically replacing a file already there.</summary>
    public abstract void Move(string source, string destination);

    /// <summary>Deletes the file <paramref name="path"/>; nothing when it does not exist.</summary>
    public abstract void Delete(string path);

    /// <summary>
    /// The paths of the files in <paramref name="directory"/> whose names match <paramref name="searchPattern"/>
    /// (<c>*</c> and <c>?</c> wildcards), in no particular order.
    /// </summary>
    public abstract IEnumerable<string> EnumerateFiles(string directory, string searchPattern);
}
