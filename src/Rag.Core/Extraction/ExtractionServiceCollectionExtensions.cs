using Microsoft.Extensions.DependencyInjection;

namespace Rag.Core.Extraction;

public static class ExtractionServiceCollectionExtensions
{
    /// <summary>Binds <see cref="ExtractionOptions"/> from the "Extraction" configuration section.</summary>
    public static IServiceCollection AddDocumentExtraction(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ExtractionOptions>()
            .BindConfiguration("Extraction")
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }
}
