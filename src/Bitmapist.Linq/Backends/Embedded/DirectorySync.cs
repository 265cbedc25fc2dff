using System.Runtime.InteropServices;

namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// Flushes a directory's entries to the disk (<c>fsync</c> on the directory), so a file just created or renamed
/// into it is still there after a power cut, not only its contents. .NET has no call for it; on Windows the
/// rename itself is durable enough (NTFS journals metadata), so this is Unix only.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY, which opens a directory too (O_DIRECTORY's value differs by architecture)

    /// <summary>Flushes <paramref name="directory"/>; best effort: a file system that refuses (some network ones) is not an error.</summary>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            var fd = open(directory, ReadOnly);
            if (fd < 0) return;
            try { fsync(fd); }
            finally { close(fd); }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
