using Microsoft.Extensions.DependencyInjection;
using Rag.Core.Retrieval;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;

namespace Microsoft.Extensions.Hosting;

public static class VectorIndexExtensions
{
    /// <summary>
    /// Hybrid retrieval: with Qdrant (when <c>AddDocumentIngestion</c> found it configured) the vectors are searched
    /// there and the text and passages in PostgreSQL; otherwise both halves and the passages are answered from this
    /// replica's memory, loaded from PostgreSQL and kept current from index events (readiness waits for the first load).
    /// Index rebuilds asked for through the admin API run here.
    /// </summary>
    public static TBuilder AddVectorSearch<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<RetrievalOptions>().BindConfiguration(RetrievalOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<HybridRetriever>();
        builder.Services.AddSingleton<IndexRebuildRunner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<IndexRebuildRunner>());
        if (builder.HasQdrant())
        {
            builder.Services.AddSingleton<IFullTextSearch, PostgresFullTextSearch>();
            builder.Services.AddSingleton<IPassageSource, PostgresPassageSource>();
            return builder;
        }

        builder.Services.AddSingleton<InProcessTextIndex>();
        builder.Services.AddSingleton<IFullTextSearch, InProcessFullTextSearch>();
        builder.Services.AddSingleton<InProcessPassageStore>();
        builder.Services.AddSingleton<IPassageSource, InProcessPassageSource>();
        builder.Services.AddSingleton<InProcessVectorIndex>();
        builder.Services.AddSingleton<IVectorIndex>(services => services.GetRequiredService<InProcessVectorIndex>());
        builder.Services.AddSingleton<InProcessIndexSynchronizer>();
        builder.Services.AddHostedService(services => services.GetRequiredService<InProcessIndexSynchronizer>());
        builder.Services.AddHealthChecks().AddCheck<InProcessIndexSynchronizer>("vector-index");
        return builder;
    }
}
