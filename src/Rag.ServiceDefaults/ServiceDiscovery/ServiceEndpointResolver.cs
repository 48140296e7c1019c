using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Rag.ServiceDefaults.ServiceDiscovery;

// Turns a logical address such as "http://api/documents" into a concrete one, from the configuration Aspire injects
// for each reference: services:<service>:<endpoint>:<index> = <url> (environment: services__api__http__0).
//   http://api        → an endpoint listed under services:api:http
//   https://api       → services:api:https
//   https+http://api  → https if the service has one, else http
// An endpoint name of the scheme's own is tried first, then "default" (what WithReference(name, uri) writes).
// Several indexes are taken in turn. A host with no services entry is a real host name and passes through.
public sealed class ServiceEndpointResolver(IConfiguration configuration)
{
    private const string ServicesSection = "services";
    private const string DefaultEndpointName = "default";
    private const string PreferHttpsScheme = "https+http";

    private readonly ConcurrentDictionary<string, uint> nextIndexByEndpoint = new(StringComparer.OrdinalIgnoreCase);

    public Uri Resolve(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);

        if (!uri.IsAbsoluteUri || SchemesFor(uri.Scheme) is not { } schemes)
        {
            return uri;
        }

        var service = configuration.GetSection(ServicesSection).GetSection(uri.Host);
        if (!service.Exists())
        {
            return uri.Scheme == PreferHttpsScheme
                ? throw new InvalidOperationException($"No endpoints are configured for service '{uri.Host}' (expected configuration '{ServicesSection}:{uri.Host}:<endpoint>:<index>').")
                : uri;
        }

        foreach (var endpointName in schemes.Append(DefaultEndpointName))
        {
            var endpoints = EndpointsOf(service.GetSection(endpointName));
            if (endpoints.Count > 0)
            {
                var turn = nextIndexByEndpoint.AddOrUpdate($"{uri.Host}:{endpointName}", 0, (_, previous) => unchecked(previous + 1));
                return Rebase(uri, endpoints[(int)(turn % (uint)endpoints.Count)]);
            }
        }

        throw new InvalidOperationException($"Service '{uri.Host}' has no endpoint for scheme '{uri.Scheme}'.");
    }

    private static string[]? SchemesFor(string scheme) => scheme switch
    {
        PreferHttpsScheme => [Uri.UriSchemeHttps, Uri.UriSchemeHttp],
        "http" => [Uri.UriSchemeHttp],
        "https" => [Uri.UriSchemeHttps],
        _ => null,
    };

    // Ordered by index so the round-robin is stable; also accepts a single URL without an index.
    private static List<Uri> EndpointsOf(IConfigurationSection endpoint)
    {
        var endpoints = endpoint.GetChildren()
            .Select(child => (Index: int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : int.MaxValue, child.Value))
            .OrderBy(child => child.Index)
            .Select(child => child.Value)
            .Append(endpoint.Value)
            .Where(value => !string.IsNullOrWhiteSpace(value))
            .Select(value => new Uri(value!, UriKind.Absolute))
            .ToList();
        return endpoints;
    }

    private static Uri Rebase(Uri logical, Uri endpoint)
    {
        var builder = new UriBuilder(logical) { Scheme = endpoint.Scheme, Host = endpoint.Host, Port = endpoint.Port };
        if (endpoint.AbsolutePath != "/")
        {
            builder.Path = endpoint.AbsolutePath.TrimEnd('/') + logical.AbsolutePath;
        }

        return builder.Uri;
    }
}
