using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Rag.ServiceDefaults.Telemetry;

// Builds the tracer and meter providers with the SDK directly (OpenTelemetry.Extensions.Hosting is not available).
// Each provider has its own service collection, so the host's configuration is handed to it: the OTLP exporter and
// the SDK then read OTEL_* settings from appsettings and the environment alike. Anything registered through
// services.ConfigureTracerProvider / ConfigureMeterProvider in the host is applied too,
// which is how a service adds a source or a test adds an exporter.
internal static class TelemetryProviders
{
    public static TracerProvider BuildTracerProvider(IServiceProvider services, bool exportOverOtlp)
    {
        var hostConfiguration = services.GetRequiredService<IConfiguration>();
        var builder = Sdk.CreateTracerProviderBuilder()
            .ConfigureServices(sdkServices => sdkServices.AddSingleton(hostConfiguration));

        foreach (var configuration in services.GetServices<TracerProviderConfiguration>())
        {
            configuration.Configure(builder);
        }

        if (exportOverOtlp)
        {
            builder.AddOtlpExporter();
        }

        return builder.Build();
    }

    public static MeterProvider BuildMeterProvider(IServiceProvider services, bool exportOverOtlp)
    {
        var hostConfiguration = services.GetRequiredService<IConfiguration>();
        var builder = Sdk.CreateMeterProviderBuilder()
            .ConfigureServices(sdkServices => sdkServices.AddSingleton(hostConfiguration));

        foreach (var configuration in services.GetServices<MeterProviderConfiguration>())
        {
            configuration.Configure(builder);
        }

        if (exportOverOtlp)
        {
            builder.AddOtlpExporter();
        }

        return builder.Build();
    }
}
