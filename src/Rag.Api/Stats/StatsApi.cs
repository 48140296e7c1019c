using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Rag.Core.VectorIndex;

namespace Rag.Api.Stats;

/// <summary>GET /api/v1/stats: the state of the system in one answer, for people and simple dashboards.</summary>
internal static class StatsApi
{
    private static readonly string Version =
        typeof(StatsApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static WebApplicationBuilder AddStats(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SystemStatistics>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }

    public static RouteHandlerBuilder MapStatsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        // Created now rather than at the first request, so its queue gauges are exported from the start.
        endpoints.ServiceProvider.GetRequiredService<SystemStatistics>();
        return endpoints.MapGet("/api/v1/stats", GetStatsAsync).WithName("GetStats").WithTags("Stats");
    }

    private static async Task<StatsResponse> GetStatsAsync(
        SystemStatistics statistics,
        IVectorIndex index,
        IEmbeddingGenerator<string, Embedding<float>> embedder,
        IConfiguration configuration,
        CancellationToken cancellationToken)
    {
        var counts = await statistics.GetAsync(cancellationToken);
        var description = index.Describe();
        var indexed = await index.CountAsync(cancellationToken);
        var chatModel = configuration["AI:ChatModel"];
        return new StatsResponse(
            new DocumentStats(counts.DocumentsByStatus.Values.Sum(), counts.DocumentsByStatus),
            counts.Chunks,
            new QueueStats(counts.Queue.Length, counts.Queue.OldestAge?.TotalSeconds),
            new IndexStats(description.Kind, description.Model, description.Dimension, indexed),
            new ModelStats(
                embedder.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId ?? "unknown",
                string.IsNullOrWhiteSpace(chatModel) ? "offline" : chatModel),
            (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalSeconds,
            Version,
            counts.MeasuredAt);
    }
}

internal sealed record StatsResponse(
    DocumentStats Documents,
    long Chunks,
    QueueStats Queue,
    IndexStats Index,
    ModelStats Models,
    double UptimeSeconds,
    string Version,
    DateTimeOffset CountedAt);

internal sealed record DocumentStats(long Total, IReadOnlyDictionary<string, long> ByStatus);

internal sealed record QueueStats(long Length, double? OldestAgeSeconds);

internal sealed record IndexStats(string Kind, string? Model, int? Dimension, long Count);

internal sealed record ModelStats(string Embedding, string Chat);
