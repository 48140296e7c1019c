using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Rag.Core.Telemetry;

/// <summary>
/// The "Rag.Operations" meter (ServiceDefaults exports every "Rag.*" meter): what ASP.NET Core's http.server.request.duration (route, method, status) cannot tell.
/// Other features record through the methods here, so instrument names and tags stay in one place.
/// </summary>
public static class RagMetrics
{
    public const string MeterName = "Rag.Operations";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> JobsFinished =
        Meter.CreateCounter<long>("rag.jobs.finished", "{job}", "Job attempts by outcome: completed, failed, retrying, released, cancelled, superseded.");

    private static readonly Histogram<double> StageDuration =
        Meter.CreateHistogram<double>("rag.ingestion.stage.duration", "s", "Time per document of one ingestion stage: extract, chunk, embed, index, store.");

    private static readonly Counter<long> DocumentsIndexed =
        Meter.CreateCounter<long>("rag.ingestion.documents", "{document}", "Documents indexed.");

    private static readonly Counter<long> ChunksIndexed =
        Meter.CreateCounter<long>("rag.ingestion.chunks", "{chunk}", "Chunks written to the index.");

    private static readonly Histogram<double> SearchDuration =
        Meter.CreateHistogram<double>("rag.search.duration", "s", "Hybrid retrieval time, embedding the query included.");

    private static readonly Histogram<double> GenerationDuration =
        Meter.CreateHistogram<double>("rag.generation.duration", "s", "Time to generate a whole answer, per model.");

    private static readonly Histogram<double> TimeToFirstToken =
        Meter.CreateHistogram<double>("rag.generation.time_to_first_token", "s", "Time from sending the prompt to the first streamed token, per model.");

    private static readonly Counter<long> Tokens =
        Meter.CreateCounter<long>("rag.generation.tokens", "{token}", "Tokens used per model and type (input, output).");

    private static readonly Counter<long> CacheLookups =
        Meter.CreateCounter<long>("rag.cache.lookups", "{lookup}", "Cache lookups by cache (embedding: an endpoint's embeddings, the offline embedder's are not cached) and result (hit, miss); hit rate = hit / all.");

    private static readonly Counter<long> RateLimitRejections =
        Meter.CreateCounter<long>("rag.rate_limit.rejections", "{request}", "Requests refused by a rate limiter, per policy.");

    private static readonly Counter<long> WebhookDeliveries =
        Meter.CreateCounter<long>("rag.webhooks.deliveries", "{delivery}", "Webhook delivery attempts by result: delivered, retrying, failed.");

    public static void RecordJobFinished(string outcome) => JobsFinished.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public static void RecordStage(string stage, TimeSpan elapsed) =>
        StageDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    public static void RecordDocumentIndexed(int chunkCount)
    {
        DocumentsIndexed.Add(1);
        ChunksIndexed.Add(chunkCount);
    }

    public static void RecordSearch(TimeSpan elapsed, int hitCount) =>
        SearchDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("rag.search.has_results", hitCount > 0));

    /// <summary>For the answer generator: one call per answer, streamed or not.</summary>
    /// <param name="timeToFirstToken">Null when the answer was not streamed.</param>
    public static void RecordGeneration(string model, TimeSpan duration, TimeSpan? timeToFirstToken, long? inputTokens, long? outputTokens)
    {
        ArgumentNullException.ThrowIfNull(model);
        var modelTag = new KeyValuePair<string, object?>("gen_ai.request.model", model);
        GenerationDuration.Record(duration.TotalSeconds, modelTag);
        if (timeToFirstToken is { } first)
        {
            TimeToFirstToken.Record(first.TotalSeconds, modelTag);
        }

        if (inputTokens is { } input)
        {
            Tokens.Add(input, modelTag, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        }

        if (outputTokens is { } output)
        {
            Tokens.Add(output, modelTag, new KeyValuePair<string, object?>("gen_ai.token.type", "output"));
        }
    }

    /// <param name="cache">"embedding": an endpoint's embeddings (the offline embedder's are not cached).</param>
    public static void RecordCacheLookups(string cache, int hits, int misses)
    {
        var cacheTag = new KeyValuePair<string, object?>("cache", cache);
        if (hits > 0)
        {
            CacheLookups.Add(hits, cacheTag, new KeyValuePair<string, object?>("result", "hit"));
        }

        if (misses > 0)
        {
            CacheLookups.Add(misses, cacheTag, new KeyValuePair<string, object?>("result", "miss"));
        }
    }

    /// <summary>For the rate limiter's OnRejected callback.</summary>
    public static void RecordRateLimitRejection(string policy) =>
        RateLimitRejections.Add(1, new KeyValuePair<string, object?>("policy", policy));

    public static void RecordWebhookDelivery(string result) =>
        WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Times a stage and records it when disposed, with a child span of the same name.</summary>
    public static StageTimer StartStage(string stage) => new(stage, RagActivitySources.Ingestion.StartActivity(stage));

    public readonly struct StageTimer(string stage, Activity? activity) : IDisposable
    {
        private readonly long _started = Stopwatch.GetTimestamp();

        public Activity? Activity => activity;

        public void Dispose()
        {
            RecordStage(stage, Stopwatch.GetElapsedTime(_started));
            activity?.Dispose();
        }
    }
}
