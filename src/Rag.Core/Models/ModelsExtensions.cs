using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Rag.Core.Embeddings;

namespace Microsoft.Extensions.Hosting;

public static class ModelsExtensions
{
    /// <summary>
    /// The embedding generator every service uses: the offline embedder (no network, no model files), behind the
    /// Redis embedding cache. Requires <c>AddRedisClient</c>.
    /// </summary>
    public static TBuilder AddRagModels<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IEmbeddingCache, RedisEmbeddingCache>();
        builder.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(services =>
            new CachingEmbeddingGenerator(new OfflineEmbeddingGenerator(), services.GetRequiredService<IEmbeddingCache>()));
        return builder;
    }
}
