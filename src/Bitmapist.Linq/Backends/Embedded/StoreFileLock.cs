using Bitmapist.Linq.Stores;
using System.Diagnostics;

namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// The writer's lock on an embedded store file: an exclusive lock on a sibling <c>.lock</c> file, held from
/// load to save (for the store's lifetime), so two processes that change one file cannot both load the
/// old contents and each save their own version over the other's.
/// </summary>
/// <remarks>
/// The lock is on a sibling file, not on the store file itself, because saving replaces the store file by
/// a rename: a lock on the old file would not cover the new one. .NET implements <see cref="FileShare.None"/>
/// with an advisory <c>flock</c> on Unix and a share mode on Windows, both released by the operating system
/// when the process dies, so a crashed writer never leaves the file locked. The <c>.lock</c> file itself
/// stays on disk: deleting it while another process waits on it would let two writers in.
/// </remarks>
internal sealed class StoreFileLock : IDisposable
{
    private readonly FileStream _handle;

    private StoreFileLock(FileStream handle) => _handle = handle;

    /// <summary>The lock file that guards <paramref name="storePath"/>.</summary>
    public static string PathFor(string storePath) => storePath + ".lock";

    /// <summary>Takes the lock, waiting up to <paramref name="timeout"/> for another writer to finish.</summary>
    /// <exception cref="EmbeddedStoreFileException">Another process still holds the lock when the timeout ends.</exception>
    public static StoreFileLock Acquire(string storePath, TimeSpan timeout)
    {
        var lockPath = PathFor(storePath);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new StoreFileLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException e) when (IsHeldElsewhere(e, lockPath))
            {
                if (clock.Elapsed >= timeout)
                    throw new EmbeddedStoreFileException(
                        $"The embedded store file '{storePath}' is being written by another process (it holds '{lockPath}'); " +
                        $"gave up after waiting {timeout.TotalSeconds:0.#} s. Nothing was changed: run the command again when the other writer has finished.", e);
                Thread.Sleep(TimeSpan.FromMilliseconds(Math.Clamp((timeout - clock.Elapsed).TotalMilliseconds, 1, 50)));
            }
        }
    }

    // A lock held by someone else is an IOException on an existing file; a missing directory or a
    // permission problem is not worth waiting for and surfaces at once.
    private static bool IsHeldElsewhere(IOException e, string lockPath) =>
        e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException) && File.Exists(lockPath);

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _handle.Dispose();
}
