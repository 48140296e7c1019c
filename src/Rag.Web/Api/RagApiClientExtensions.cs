using Microsoft.Extensions.Diagnostics.HealthChecks;
using Rag.Core;

namespace Rag.Web.Api;

internal static class RagApiClientExtensions
{
    /// <summary>The typed client for Rag.Api, found through service discovery ("https+http://api"), and a readiness check on it.</summary>
    public static WebApplicationBuilder AddRagApiClient(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpClient<RagApiClient>(client => client.BaseAddress = new Uri($"https+http://{ResourceNames.Api}"));
        builder.Services.AddHealthChecks().AddCheck<ApiHealthCheck>(ResourceNames.Api);
        return builder;
    }
}

/// <summary>Rag.Api as the web app uses it.</summary>
internal sealed class RagApiClient(HttpClient http)
{
    public async Task<bool> IsAliveAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync("/alive", cancellationToken);
        return response.IsSuccessStatusCode;
    }
}

internal sealed class ApiHealthCheck(RagApiClient api) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await api.IsAliveAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The API answered, but is not alive.");
        }
        catch (HttpRequestException)
        {
            return HealthCheckResult.Unhealthy("The API cannot be reached.");
        }
    }
}
