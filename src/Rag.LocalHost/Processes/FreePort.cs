using System.Net;
using System.Net.Sockets;

namespace Rag.LocalHost.Processes;

public static class FreePort
{
    // Asks the OS for an unused loopback port. Another process may take it before the caller binds it,
    // so callers that start servers retry with a new port when binding fails.
    public static int GetFreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
