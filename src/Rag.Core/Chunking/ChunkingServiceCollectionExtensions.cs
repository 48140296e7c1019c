using Microsoft.Extensions.DependencyInjection;

namespace Rag.Core.Chunking;

public static class ChunkingServiceCollectionExtensions
{
    /// <summary>Binds the default <see cref="ChunkingOptions"/> from the "Chunking" section, failing at start when they are invalid.</summary>
    public static IServiceCollection AddChunkingDefaults(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ChunkingOptions>()
            .BindConfiguration(ChunkingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }
}
