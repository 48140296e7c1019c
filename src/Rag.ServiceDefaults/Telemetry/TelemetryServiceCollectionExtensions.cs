using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Rag.ServiceDefaults.Telemetry;

namespace Microsoft.Extensions.DependencyInjection;

// How a service adds to the tracer and meter providers ServiceDefaults builds (an ActivitySource outside "Rag.*",
// an extra exporter). OpenTelemetry's own services.ConfigureOpenTelemetryTracerProvider only reaches providers
// built by OpenTelemetry.Extensions.Hosting, which is not available here; for logs it does work, because the
// logging provider lives in the host's container.
public static class TelemetryServiceCollectionExtensions
{
    public static IServiceCollection ConfigureTracerProvider(this IServiceCollection services, Action<TracerProviderBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        return services.AddSingleton(new TracerProviderConfiguration(configure));
    }

    public static IServiceCollection ConfigureMeterProvider(this IServiceCollection services, Action<MeterProviderBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        return services.AddSingleton(new MeterProviderConfiguration(configure));
    }
}
