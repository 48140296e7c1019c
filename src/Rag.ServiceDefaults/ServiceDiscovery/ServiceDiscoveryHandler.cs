namespace Rag.ServiceDefaults.ServiceDiscovery;

internal sealed class ServiceDiscoveryHandler(ServiceEndpointResolver resolver) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);

        var logicalUri = request.RequestUri;
        if (logicalUri is null)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        request.RequestUri = resolver.Resolve(logicalUri);
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // A retry resends this message; restoring the logical address lets it resolve (and round-robin) again.
            request.RequestUri = logicalUri;
        }
    }
}
