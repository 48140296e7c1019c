using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
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
        using var api = await RagApiClient.SignInAsAdminAsync(graph);

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
                return new[] { "publish job", "XADD", "extract", "chunk", "embed", "store" }.All(name => spans.Any(s => s.Name == name))
                    && spans.Any(s => s.Scope == "Npgsql" && s.ServiceName == ResourceNames.Ingestion) ? spans : null;
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

        // A question's trace: the search request, the retrieval under it, the vector index and PostgreSQL under that.
        var retrieval = await OtlpCollector.WaitForAsync(
            () => collector.Spans.FirstOrDefault(s => s.Name == "hybrid search" && s.ServiceName == ResourceNames.Api),
            ExportTimeout,
            () => "the API's 'hybrid search' span");
        var searchTrace = await OtlpCollector.WaitForAsync(
            () =>
            {
                var spans = collector.Spans.Where(s => s.TraceId == retrieval.TraceId).ToList();
                // The request's server span ends after its children, so it may be exported in a later batch.
                return spans.Any(s => s.Name == "vector index search" && s.ParentSpanId == retrieval.SpanId)
                    && spans.Any(s => s.Scope == "Npgsql")
                    && spans.Any(s => s.Scope == "Microsoft.AspNetCore" && s.SpanId == retrieval.ParentSpanId) ? spans : null;
            },
            ExportTimeout,
            () => "the request, vector index and PostgreSQL spans around the search");
        Assert.Contains(searchTrace, s => s.Name == "embed query" && s.ParentSpanId == retrieval.SpanId);

        // Metrics are cumulative: the latest point of each series holds the totals.
        await OtlpCollector.WaitForAsync(
            () => Latest(collector, ResourceNames.Ingestion, "rag.ingestion.documents") is >= 1
                && Latest(collector, ResourceNames.Ingestion, "rag.jobs.finished", ("outcome", "completed")) is >= 1 ? collector : null,
            ExportTimeout,
            () => "rag.ingestion.documents and rag.jobs.finished{outcome=completed}; got " + string.Join(", ", collector.MetricPoints
                .Where(p => p.MetricName.StartsWith("rag.", StringComparison.Ordinal))
                .Select(p => $"{p.ServiceName}:{p.MetricName}{{{string.Join(",", p.Attributes.Select(a => $"{a.Key}={a.Value}"))}}}={p.Value}")
                .Distinct()));
        Assert.True(Latest(collector, ResourceNames.Ingestion, "rag.ingestion.chunks") >= 1);
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
        Assert.NotNull(LatestPoint(collector, ResourceNames.Api, "http.server.request.duration"));

        // The stats' counts are cached for a few seconds.
        var stats = await WaitForStatsAsync(api, s => s["documents"]!["by_status"]!["completed"]?.GetValue<long>() >= 1);
        Assert.True(stats["chunks"]!.GetValue<long>() >= 1);
        Assert.Equal(stats["chunks"]!.GetValue<long>(), stats["index"]!["count"]!.GetValue<long>());
        Assert.True(stats["index"]!["dimension"]!.GetValue<int>() > 0);
        Assert.False(string.IsNullOrEmpty(stats["models"]!["embedding"]!.GetValue<string>()));
        Assert.True(stats["uptime_seconds"]!.GetValue<double>() > 0);

        // With the worker away, an upload waits in the queue: the gauges and the stats show it ageing.
        await graph.Ingestion[0].StopAsync(TimeSpan.FromSeconds(30));
        await api.UploadAcceptedAsync("telemetry", ("waiting.txt", Encoding.UTF8.GetBytes("A note that waits for a worker.")));
        await OtlpCollector.WaitForAsync(
            () => Latest(collector, ResourceNames.Api, "rag.queue.length") is >= 1 && Latest(collector, ResourceNames.Api, "rag.queue.oldest_age") is > 0 ? collector : null,
            ExportTimeout,
            () => "rag.queue.length >= 1 and rag.queue.oldest_age > 0");
        var waiting = await WaitForStatsAsync(api, s => s["queue"]!["length"]!.GetValue<long>() == 1);
        Assert.True(waiting["queue"]!["oldest_age_seconds"]!.GetValue<double>() > 0, waiting.ToJsonString());
    }

    private static async Task<JsonObject> WaitForStatsAsync(RagApiClient api, Func<JsonObject, bool> condition)
    {
        JsonObject? stats = null;
        return await OtlpCollector.WaitForAsync(
            () =>
            {
                stats = api.Http.GetFromJsonAsync<JsonObject>("/api/v1/stats").GetAwaiter().GetResult()!;
                return condition(stats) ? stats : null;
            },
            ExportTimeout,
            () => $"/api/v1/stats never matched: {stats?.ToJsonString()}");
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
