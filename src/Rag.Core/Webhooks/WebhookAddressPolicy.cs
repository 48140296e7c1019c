using System.Net;
using System.Net.Sockets;

namespace Rag.Core.Webhooks;

/// <summary>
/// Keeps webhooks from reaching into our own network (server-side request forgery): only public unicast
/// addresses are allowed unless <see cref="WebhookOptions.AllowPrivateAddresses"/> is set. Checked when a URL is
/// registered and again for the address actually connected to, since DNS may answer differently later.
/// </summary>
public static class WebhookAddressPolicy
{
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 // "this network"
                || b[0] == 10
                || (b[0] == 100 && b[1] >= 64 && b[1] < 128) // carrier-grade NAT
                || (b[0] == 169 && b[1] == 254) // link-local, cloud metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0) // protocol assignments
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19)) // benchmarking
                || b[0] >= 224); // multicast and reserved
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal
                || address.IsIPv6SiteLocal
                || address.IsIPv6Multicast
                || (b[0] & 0xFE) == 0xFC // unique local fc00::/7
                || address.IsIPv6Teredo);
        }

        return false;
    }

    /// <summary>Why <paramref name="url"/> may not be registered, or null when it may.</summary>
    public static async Task<string?> CheckAsync(Uri url, WebhookOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(options);
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && (options.RequireHttps || url.Scheme != Uri.UriSchemeHttp)))
        {
            return options.RequireHttps ? "The URL must be an absolute https:// URL." : "The URL must be an absolute http:// or https:// URL.";
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            return "The URL must not contain credentials.";
        }

        if (options.AllowPrivateAddresses)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(url.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(url.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return "The URL's host name does not resolve.";
        }

        return addresses.Length == 0 || !addresses.All(IsPublic)
            ? "The URL resolves to a loopback, private, link-local or otherwise non-public address."
            : null;
    }
}
