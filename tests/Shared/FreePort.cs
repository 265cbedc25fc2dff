using System.Net;
using System.Net.Sockets;

namespace Bitmapist.Linq.Testing;

/// <summary>
/// A loopback port for a server a test starts (redis-server, <c>cohort --serve</c>), free when asked.
/// </summary>
/// <remarks>
/// Not "bind port 0 and give the port back": that port is in the kernel's ephemeral range, which the tests' own
/// outgoing connections (hundreds of Redis clients in parallel) draw from, so one of them can take it before the
/// server binds it (seen in CI: "Address already in use"). These ports lie below that range (Linux: 32768-60999),
/// and none is handed out twice in one test process.
/// </remarks>
internal static class FreePort
{
    private const int First = 20000, Last = 32000;
    private static readonly HashSet<int> Given = [];

    /// <summary>A port below the ephemeral range that nothing listens on and this process has not handed out before.</summary>
    public static int Next()
    {
        lock (Given)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(First, Last);
                if (!Given.Add(port)) continue;
                try
                {
                    using var probe = new TcpListener(IPAddress.Loopback, port);
                    probe.Start();
                    return port;
                }
                catch (SocketException)
                {
                    // taken by another process: try another
                }
            }
        }
        throw new InvalidOperationException($"No free loopback port between {First} and {Last}.");
    }
}
