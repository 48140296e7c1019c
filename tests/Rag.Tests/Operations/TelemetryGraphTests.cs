using System.Text;
using Rag.Core;
using Rag.Tests.Graph;

namespace Rag.Tests.Operations;

// The telemetry the real processes export over OTLP, collected by a receiver in the test.
[Collection(GraphCollection.Name)]
public sealed class TelemetryGraphTests
{
    private static readonly TimeSpan ExportTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OneTraceFollowsAnUploadThroughTheQueueIntoTheWorkersIndexingAndTheMetricsCountIt()
    {
        await using var collector = await OtlpCollector.StartAsync();
        await using var graph = await TestGraph.StartAsync(collector.ExporterSettings);
        using var api = new RagApiClient(graph.Api.Url);

        var document = (await api.UploadAcceptedAsync("telemetry", ("tide.md", Encoding.UTF8.GetBytes("# Tides\n\nThe estuary gauge records the spring tide twice daily."))))[0];
        var job = await api.WaitForJobAsync(document.GetGuid("job_id"), TimeSpan.FromSeconds(90));
        Assert.Equal("completed", job.GetString("status"));
        Assert.NotEmpty(await api.SearchAsync("estuary gauge", "telemetry"));

        // The worker's span for this job, then everything around it in the same trace.
        var jobId = document.GetString("job_id");
        var processing = await OtlpCollector.WaitForAsync(
            () => collector.Spans.FirstOrDefault(s => s.Name == "process job" && s.Attributes.GetValueOrDefault("rag.job.id") == jobId),
            ExportTimeout,
            () => "the worker's 'process job' span");
        Assert.Equal(ResourceNames.Ingestion, processing.ServiceName);
        var upload = await OtlpCollector.WaitForAsync(
            () => collector.Spans.FirstOrDefault(s => s.SpanId == processing.ParentSpanId),
            ExportTimeout,
            () => "the span the worker's span is a child of");
        Assert.Equal(ResourceNames.Api, upload.ServiceName);
        Assert.Equal("Microsoft.AspNetCore", upload.Scope);
        Assert.Equal(processing.TraceId, upload.TraceId);

        var trace = await OtlpCollector.WaitForAsync(
            () =>
            {
                var spans = collector.Spans.Where(s => s.TraceId == processing.TraceId).ToList();
                return new[] { "publish job", "XADD", "extract", "chunk", "embed", "store" }.All(name => spans.Any(s => s.Name == name)) ? spans : null;
            },
            ExportTimeout,
            () => "publish, XADD and the indexing stages in the upload's trace; got " +
                string.Join(", ", collector.Spans.Where(s => s.TraceId == processing.TraceId).Select(s => $"{s.ServiceName}:{s.Name}")));

        // The queue hop: the API publishes within the upload request; the worker's stages are children of its job span.
        var publish = trace.Single(s => s.Name == "publish job" && s.Attributes.GetValueOrDefault("rag.job.id") == jobId);
        Assert.Equal(ResourceNames.Api, publish.ServiceName);
        Assert.Equal(upload.SpanId, publish.ParentSpanId);
        Assert.Contains(trace, s => s.Name == "XADD" && s.ParentSpanId == publish.SpanId);
        foreach (var stage in (string[])["extract", "chunk", "embed", "store"])
        {
            Assert.Equal(processing.SpanId, trace.Single(s => s.Name == stage).ParentSpanId);
        }

        // PostgreSQL (Npgsql's own spans) under the worker's job, so the database time shows in the same trace.
        Assert.Contains(trace, s => s.Scope == "Npgsql" && s.ServiceName == ResourceNames.Ingestion);

        // Metrics are cumulative: the latest point of each series holds the totals.
        await OtlpCollector.WaitForAsync(
            () => Latest(collector, ResourceNames.Ingestion, "rag.ingestion.documents") is >= 1 ? collector : null,
            ExportTimeout,
            () => "rag.ingestion.documents");
        Assert.True(Latest(collector, ResourceNames.Ingestion, "rag.ingestion.chunks") >= 1);
        Assert.True(Latest(collector, ResourceNames.Ingestion, "rag.jobs.finished", ("outcome", "completed")) >= 1);
        foreach (var stage in (string[])["extract", "chunk", "embed", "store"])
        {
            var stagePoint = LatestPoint(collector, ResourceNames.Ingestion, "rag.ingestion.stage.duration", ("stage", stage));
            Assert.True(stagePoint is { Value: >= 1, Sum: > 0 and < 60 }, $"stage {stage}: {stagePoint}");
        }

        var search = await OtlpCollector.WaitForAsync(
            () => LatestPoint(collector, ResourceNames.Api, "rag.search.duration"),
            ExportTimeout,
            () => "rag.search.duration");
        Assert.True(search is { Value: >= 1, Sum: > 0 and < 60 }, search.ToString());
        Assert.True(Latest(collector, ResourceNames.Ingestion, "rag.cache.lookups", ("cache", "embedding"), ("result", "miss")) >= 1);
        Assert.NotNull(LatestPoint(collector, ResourceNames.Api, "http.server.request.duration"));
    }

    private static double? Latest(OtlpCollector collector, string service, string metric, params (string Key, string Value)[] attributes) =>
        LatestPoint(collector, service, metric, attributes)?.Value;

    // Sums the series matching the attributes (e.g. every outcome), each taken at its latest export.
    private static ExportedMetricPoint? LatestPoint(OtlpCollector collector, string service, string metric, params (string Key, string Value)[] attributes)
    {
        var latest = collector.MetricPoints
            .Where(p => p.ServiceName == service && p.MetricName == metric && attributes.All(a => p.Attributes.GetValueOrDefault(a.Key) == a.Value))
            .GroupBy(p => string.Join(",", p.Attributes.OrderBy(a => a.Key).Select(a => $"{a.Key}={a.Value}")))
            .Select(series => series.Last())
            .ToList();
        return latest.Count == 0
            ? null
            : latest[0] with { Value = latest.Sum(p => p.Value), Sum = latest.Any(p => p.Sum is not null) ? latest.Sum(p => p.Sum ?? 0) : null };
    }
}
