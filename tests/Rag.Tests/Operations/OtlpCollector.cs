using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Rag.Tests.ServiceDefaults;

namespace Rag.Tests.Operations;

/// <summary>An OTLP/HTTP receiver on loopback that keeps every span and metric point the services export.</summary>
internal sealed class OtlpCollector : IAsyncDisposable
{
    private readonly ConcurrentQueue<ExportedSpan> _spans = new();
    private readonly ConcurrentQueue<ExportedMetricPoint> _metricPoints = new();
    private LoopbackServer _server = null!;

    public Uri Endpoint => new(_server.Address.GetLeftPart(UriPartial.Authority));

    public IReadOnlyCollection<ExportedSpan> Spans => _spans;

    public IReadOnlyCollection<ExportedMetricPoint> MetricPoints => _metricPoints;

    /// <summary>What a service needs to export here over HTTP/protobuf, often enough for a test's patience.</summary>
    public IReadOnlyDictionary<string, string?> ExporterSettings => new Dictionary<string, string?>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
    };

    public static async Task<OtlpCollector> StartAsync()
    {
        var collector = new OtlpCollector();
        collector._server = await LoopbackServer.StartAsync(app => app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            switch (signal)
            {
                case "traces":
                    collector.Add(collector._spans, OtlpPayloads.ReadSpans(body.ToArray()));
                    break;
                case "metrics":
                    collector.Add(collector._metricPoints, OtlpPayloads.ReadMetrics(body.ToArray()));
                    break;
            }

            // An empty protobuf message is a valid Export*ServiceResponse.
            return Results.Bytes([], "application/x-protobuf");
        }));
        return collector;
    }

    /// <summary>Polls the received telemetry until <paramref name="found"/> returns something, or fails after <paramref name="timeout"/>.</summary>
    public static async Task<T> WaitForAsync<T>(Func<T?> found, TimeSpan timeout, Func<string> describeMissing) where T : class
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (found() is { } result)
            {
                return result;
            }

            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Not exported within {timeout}: {describeMissing()}");
            }
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private void Add<T>(ConcurrentQueue<T> queue, IEnumerable<T> items)
    {
        foreach (var item in items)
        {
            queue.Enqueue(item);
        }
    }
}
