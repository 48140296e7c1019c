using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Rag.ServiceDefaults.Telemetry;

internal sealed record TracerProviderConfiguration(Action<TracerProviderBuilder> Configure);

internal sealed record MeterProviderConfiguration(Action<MeterProviderBuilder> Configure);
