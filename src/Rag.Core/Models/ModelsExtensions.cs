using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rag.Core.Embeddings;
using Rag.Core.Generation;
using Rag.Core.Models;

namespace Microsoft.Extensions.Hosting;

public static class ModelsExtensions
{
    /// <summary>
    /// The models every service uses: with <c>AI:Endpoint</c> set, an OpenAI-compatible endpoint's chat model (and its
    /// embedding model when <c>AI:EmbeddingModel</c> is set); otherwise the offline embedder and the extractive answerer,
    /// which need no network and no model files. An endpoint's embeddings go through the Redis embedding cache (so
    /// <c>AddRedisClient</c> is then required): they cost a network call and money each. The offline embedder's do not:
    /// computing one takes microseconds, less than the cache's own round trip, and caching every chunk's would fill
    /// Redis with vectors PostgreSQL already holds.
    /// </summary>
    public static TBuilder AddRagModels<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IEmbeddingCache, RedisEmbeddingCache>();
        builder.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(services =>
        {
            var options = services.GetRequiredService<IOptions<ModelOptions>>().Value;
            return options.UsesEndpoint && !string.IsNullOrWhiteSpace(options.EmbeddingModel)
                ? new CachingEmbeddingGenerator(
                    new OpenAICompatibleEmbeddingGenerator(OpenAIClientFactory.Create(options, TimeProvider.System), options.Endpoint!, options.EmbeddingModel),
                    services.GetRequiredService<IEmbeddingCache>())
                : new OfflineEmbeddingGenerator();
        });
        builder.Services.AddSingleton<IChatClient>(services =>
        {
            var options = services.GetRequiredService<IOptions<ModelOptions>>().Value;
            return options.UsesEndpoint
                ? new OpenAICompatibleChatClient(OpenAIClientFactory.Create(options, TimeProvider.System), options.Endpoint!, options.ChatModel!)
                : new ExtractiveChatClient();
        });
        return builder;
    }
}
