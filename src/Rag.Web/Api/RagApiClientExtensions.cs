using Microsoft.Extensions.Diagnostics.HealthChecks;
using Rag.Core;

namespace Rag.Web.Api;

internal static class RagApiClientExtensions
{
    /// <summary>The typed client for Rag.Api, found through service discovery ("https+http://api"), and a readiness check on it.</summary>
    public static WebApplicationBuilder AddRagApiClient(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddTransient<BearerTokenHandler>();
        builder.Services.AddHttpClient<RagApiClient>(client =>
            {
                client.BaseAddress = new Uri($"https+http://{ResourceNames.Api}");

                // Streams (chat, job events) last longer than any fixed limit; the resilience pipeline bounds the wait for headers.
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddHttpMessageHandler<BearerTokenHandler>();
        builder.Services.AddHealthChecks().AddCheck<ApiHealthCheck>(ResourceNames.Api);
        return builder;
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
