using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
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

        // Not AddHttpMessageHandler: under ConfigureHttpClientDefaults the builder has no name, and the circuit
        // breaker must be per client, so the name is read when each client's handler chain is built.
        // (A null builder name configures every client.)
        builder.Services.Configure<HttpClientFactoryOptions>(builder.Name, options => options.HttpMessageHandlerBuilderActions.Add(handlers =>
        {
            var pipelines = handlers.Services.GetRequiredService<HttpResiliencePipelines>();
            handlers.AdditionalHandlers.Add(new ResilienceHandler(pipelines.GetPipeline(handlers.Name ?? string.Empty)));
        }));
        return builder;
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
