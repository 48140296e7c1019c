using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rag.ServiceDefaults.Telemetry;

namespace Microsoft.Extensions.Hosting;

public static partial class Extensions
{
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var applicationName = builder.Environment.ApplicationName;
        // A name from OTEL_SERVICE_NAME (set by Aspire and Kubernetes) or OTEL_RESOURCE_ATTRIBUTES wins; otherwise the
        // service is named after its assembly rather than the SDK's "unknown_service".
        var serviceNamed = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"])
            || (builder.Configuration["OTEL_RESOURCE_ATTRIBUTES"]?.Contains("service.name=", StringComparison.Ordinal) ?? false);
        Action<ResourceBuilder> configureResource = serviceNamed ? _ => { } : resource => resource.AddService(applicationName);

        builder.Services.ConfigureOpenTelemetryLoggerProvider(logging => logging.ConfigureResource(configureResource));
        builder.Services.ConfigureTracerProvider(tracing => tracing
            .ConfigureResource(configureResource)
            .AddSource([.. RagTelemetry.FrameworkActivitySources, RagTelemetry.SourceAndMeterPattern, applicationName]));
        builder.Services.ConfigureMeterProvider(metrics => metrics
            .ConfigureResource(configureResource)
            .AddMeter([.. RagTelemetry.FrameworkMeters, RagTelemetry.SourceAndMeterPattern, applicationName]));

        builder.AddOpenTelemetryExporters();

        return builder;
    }

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // The exporter reads OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS, OTEL_RESOURCE_ATTRIBUTES etc. itself.
        var exportOverOtlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (exportOverOtlp)
        {
            builder.Services.ConfigureOpenTelemetryLoggerProvider(logging => logging.AddOtlpExporter());
        }

        builder.Services.TryAddSingleton(services => TelemetryProviders.BuildTracerProvider(services, exportOverOtlp));
        builder.Services.TryAddSingleton(services => TelemetryProviders.BuildMeterProvider(services, exportOverOtlp));
        builder.Services.AddHostedService<TelemetryFlushService>();

        return builder;
    }
}
