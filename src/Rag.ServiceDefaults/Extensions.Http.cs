using Microsoft.Extensions.DependencyInjection.Extensions;
using Rag.ServiceDefaults.Resilience;
using Rag.ServiceDefaults.ServiceDiscovery;

namespace Microsoft.Extensions.DependencyInjection;

// The names match Microsoft.Extensions.Http.Resilience and Microsoft.Extensions.ServiceDiscovery, which cannot be
// restored here, so AddServiceDefaults reads like Aspire's template.
public static class HttpClientDefaultsExtensions
{
    public static IServiceCollection AddServiceDiscovery(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);

        services.TryAddSingleton<ServiceEndpointResolver>();
        return services;
    }

    public static IHttpClientBuilder AddServiceDiscovery(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.AddServiceDiscovery();
        return builder.AddHttpMessageHandler(services => new ServiceDiscoveryHandler(services.GetRequiredService<ServiceEndpointResolver>()));
    }

    // Total timeout → retry → circuit breaker → attempt timeout, configured by the "HttpResilience" section.
    public static IHttpClientBuilder AddStandardResilienceHandler(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.AddHttpResilience();
        var clientName = builder.Name;
        return builder.AddHttpMessageHandler(services =>
            new ResilienceHandler(services.GetRequiredService<HttpResiliencePipelines>().GetPipeline(clientName)));
    }

    private static void AddHttpResilience(this IServiceCollection services)
    {
        if (services.Any(service => service.ServiceType == typeof(HttpResiliencePipelines)))
        {
            return;
        }

        services.AddOptions<HttpResilienceOptions>()
            .BindConfiguration(HttpResilienceOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(
                options => options.AttemptTimeout <= options.TotalRequestTimeout,
                $"{HttpResilienceOptions.SectionName}:AttemptTimeout must not exceed TotalRequestTimeout.")
            .Validate(
                options => options.CircuitBreakerSamplingDuration >= 2 * options.AttemptTimeout,
                $"{HttpResilienceOptions.SectionName}:CircuitBreakerSamplingDuration must be at least twice AttemptTimeout, or slow attempts never count.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddSingleton<HttpResiliencePipelines>();
    }
}
