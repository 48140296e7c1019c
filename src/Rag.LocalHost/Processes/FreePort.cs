using System.Net;
using System.Net.Sockets;

namespace Rag.LocalHost.Processes;

/// <summary>Finds loopback ports for local processes.</summary>
public static class FreePort
{
    /// <summary>A TCP port free on 127.0.0.1 right now (the OS picks it; another process could still take it before use).</summary>
    public static int GetFreeTcpPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
