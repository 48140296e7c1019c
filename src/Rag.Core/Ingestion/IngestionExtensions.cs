using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rag.Core;
using Rag.Core.Documents;
using Rag.Core.Extraction;
using Rag.Core.Ingestion;
using Rag.Core.Jobs;
using Rag.Core.VectorIndex;

namespace Microsoft.Extensions.Hosting;

public static class IngestionExtensions
{
    /// <summary>
    /// Documents, jobs and their queue, and the indexing pipeline, over the database and Redis client registered
    /// by <c>AddRagDatabase</c> and <c>AddRedisClient</c>. With <c>ConnectionStrings:qdrant_http</c> configured, Qdrant is
    /// the shared vector index the workers write; otherwise each API replica keeps an in-process index (<c>AddVectorSearch</c>).
    /// </summary>
    public static TBuilder AddDocumentIngestion<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<JobQueueOptions>().BindConfiguration(JobQueueOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddDocumentExtraction();
        builder.Services.AddSingleton<DocumentStore>();
        builder.Services.AddSingleton<JobStore>();
        builder.Services.AddSingleton<ChunkStore>();
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddSingleton<IndexEvents>();
        builder.Services.AddSingleton<DocumentIndexer>();
        builder.Services.AddSingleton<IndexRebuilder>();
        if (builder.HasQdrant())
        {
            builder.AddQdrantVectorIndex(ResourceNames.QdrantHttpConnection);
        }

        return builder;
    }

    internal static bool HasQdrant(this IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ResourceNames.QdrantHttpConnection));
}
