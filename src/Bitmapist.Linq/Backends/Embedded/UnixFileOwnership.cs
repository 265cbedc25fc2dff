using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// What .NET does not expose about a Unix file: its type and its owner. Saving an embedded store replaces
/// the file by a rename, so the new file would otherwise get the writer's owner and default mode (a 0444
/// file of one user becoming a 0644 file of another); and a device such as <c>/dev/full</c> is not a store
/// file, though reading it never ends.
/// </summary>
internal static class UnixFileOwnership
{
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;
    private const int TypeMask = 0xF000, RegularFile = 0x8000;

    /// <summary>The owner and type of an existing file (following links), or null off Unix or when it cannot be read.</summary>
    public static (uint Uid, uint Gid, bool IsRegular)? Stat(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        // statx's layout is the same on every architecture, unlike struct stat's.
        var buffer = new byte[256];
        try
        {
            if (statx(AtFdCwd, path, 0, StatxBasicStats, buffer) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // a libc without statx (glibc < 2.28, musl < 1.2.5): ownership is not kept
        }
        var uid = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20));
        var gid = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(24));
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
        return (uid, gid, (mode & TypeMask) == RegularFile);
    }

    /// <summary>
    /// Gives <paramref name="path"/> the owner of <paramref name="original"/>. Only root may give a file away,
    /// so for anyone else this is a no-op unless the owner already matches: it returns false, and the caller
    /// keeps the new file (the data matters more than its owner).
    /// </summary>
    public static bool TryCopyOwner((uint Uid, uint Gid, bool IsRegular) original, string path)
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            return chown(path, original.Uid, original.Gid) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", SetLastError = true)]
    private static extern int chown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);
}
