using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Rag.Core.VectorIndex.Qdrant;

// Qdrant's /readyz is 200 once every shard is ready to serve, 503 while it is still loading.
internal sealed class QdrantHealthCheck(IHttpClientFactory httpClientFactory, string httpClientName) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var client = httpClientFactory.CreateClient(httpClientName);
            using var response = await client.GetAsync("/readyz", cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, $"Qdrant /readyz answered {(int)response.StatusCode}.");
        }
        catch (HttpRequestException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Qdrant is unreachable.", ex);
        }
    }
}
