using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rag.Core;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.Qdrant;

namespace Microsoft.Extensions.Hosting;

public static class QdrantVectorIndexExtensions
{
    /// <summary>
    /// Registers <see cref="IVectorIndex"/>, <see cref="ISharedVectorIndex"/> and <see cref="IQdrantSnapshots"/> over Qdrant's REST API, reached through
    /// <c>ConnectionStrings:{connectionName}</c> and configured by the "Qdrant" section, with a "qdrant" health check
    /// on Qdrant's /readyz. The HttpClient is a named client, so ServiceDefaults' resilience handler applies to it.
    /// </summary>
    public static TBuilder AddQdrantVectorIndex<TBuilder>(this TBuilder builder, string connectionName)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);

        var httpClientName = "qdrant:" + connectionName;
        var services = builder.Services;

        services.AddOptions<QdrantOptions>()
            .BindConfiguration(QdrantOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The connection string is read when the first client is made, so hosts and tests may set it after registration.
        services.AddHttpClient(httpClientName, (serviceProvider, client) =>
        {
            var connection = QdrantConnection.FromConfiguration(serviceProvider.GetRequiredService<IConfiguration>(), connectionName);
            client.BaseAddress = connection.Endpoint;
            client.Timeout = serviceProvider.GetRequiredService<IOptions<QdrantOptions>>().Value.RequestTimeout;
            if (connection.ApiKey is not null)
            {
                client.DefaultRequestHeaders.Add("api-key", connection.ApiKey);
            }
        });

        // One instance serves both interfaces: it remembers the model and dimension EnsureCreatedAsync settled.
        services.TryAddSingleton(serviceProvider => new QdrantVectorIndex(
            new QdrantRestClient(serviceProvider.GetRequiredService<IHttpClientFactory>(), httpClientName),
            serviceProvider.GetRequiredService<IOptions<QdrantOptions>>(),
            serviceProvider.GetRequiredService<ILogger<QdrantVectorIndex>>()));
        services.TryAddSingleton<IVectorIndex>(serviceProvider => serviceProvider.GetRequiredService<QdrantVectorIndex>());
        services.TryAddSingleton<ISharedVectorIndex>(serviceProvider => serviceProvider.GetRequiredService<QdrantVectorIndex>());
        services.TryAddSingleton<IQdrantSnapshots>(serviceProvider => serviceProvider.GetRequiredService<QdrantVectorIndex>());

        services.AddHealthChecks().Add(new HealthCheckRegistration(
            ResourceNames.Qdrant,
            serviceProvider => new QdrantHealthCheck(serviceProvider.GetRequiredService<IHttpClientFactory>(), httpClientName),
            failureStatus: null,
            tags: ["ready"]));

        return builder;
    }
}
