using System.Collections.Concurrent;
using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Rag.Tests.ServiceDefaults;

// In-memory exporters (OpenTelemetry.Exporter.InMemory is not on the package mirror).
internal sealed class CollectingActivityExporter : BaseExporter<Activity>
{
    private readonly ConcurrentQueue<Activity> exported = new();

    public IReadOnlyList<Activity> Exported => [.. exported];

    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var activity in batch)
        {
            exported.Enqueue(activity);
        }

        return ExportResult.Success;
    }

    public async Task<IReadOnlyList<Activity>> WaitForAsync(Func<IReadOnlyList<Activity>, bool> condition)
    {
        using var timeout = new CancellationTokenSource(LoopbackServer.WaitTimeout);
        while (!condition(Exported))
        {
            await Task.Delay(20, timeout.Token);
        }

        return Exported;
    }
}

internal sealed record CollectedMetric(string MeterName, string Name, long? LongSum);

internal sealed class CollectingMetricExporter : BaseExporter<Metric>
{
    private readonly ConcurrentQueue<CollectedMetric> exported = new();

    public IReadOnlyList<CollectedMetric> Exported => [.. exported];

    public override ExportResult Export(in Batch<Metric> batch)
    {
        // The SDK reuses metric points after export, so keep copies of what the tests read.
        foreach (var metric in batch)
        {
            long? sum = null;
            if (metric.MetricType == MetricType.LongSum)
            {
                sum = 0;
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    sum += point.GetSumLong();
                }
            }

            exported.Enqueue(new CollectedMetric(metric.MeterName, metric.Name, sum));
        }

        return ExportResult.Success;
    }
}
