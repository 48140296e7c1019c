using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

// Health, telemetry, resilience and service discovery shared by every Rag service.
// Shaped like Aspire's ServiceDefaults template so callers cannot tell the bodies differ; the template's
// packages (OpenTelemetry.Extensions.Hosting and instrumentation, Http.Resilience, ServiceDiscovery) cannot
// be restored here, so the bodies are built on the OpenTelemetry SDK, Polly.Core and configuration directly.
//
// What the health endpoints reveal, and why they are mapped in every environment:
// /alive runs only checks tagged "live" (the process itself); /health runs every check. Both answer with the
// overall status and, per check, its name, status, duration and the description its author wrote. Exceptions,
// their messages (which the framework would otherwise copy into the description) and the checks' data
// dictionaries are never written, so no connection string, host name or secret leaks. Orchestrators (Kubernetes, Azure Container Apps, the Aspire dashboard) need the
// probes in production, which is why they are not limited to Development as in the template.
public static partial class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.ConfigureOpenTelemetry();

        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();

        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // Resilience wraps discovery so that every retry resolves the service name again (round-robin).
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }
}
