using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Rag.Core.VectorIndex.Qdrant;

// Qdrant's /readyz is 200 once every shard is ready to serve, 503 while it is still loading.
internal sealed class QdrantHealthCheck(IHttpClientFactory httpClientFactory, string httpClientName) : IHealthCheck
{
    // ServiceDefaults' HttpResilience.AllowRetries, by name: a probe reports the state now, in one attempt, within its timeout.
    private static readonly HttpRequestOptionsKey<bool> AllowRetries = new("Rag.HttpResilience.AllowRetries");

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var client = httpClientFactory.CreateClient(httpClientName);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/readyz");
            request.Options.Set(AllowRetries, false);
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
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
