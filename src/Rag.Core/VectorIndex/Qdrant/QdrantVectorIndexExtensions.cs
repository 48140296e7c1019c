using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rag.Core.VectorIndex.Qdrant;

namespace Microsoft.Extensions.Hosting;

public static class QdrantVectorIndexExtensions
{
    /// <summary>
    /// Registers <see cref="Rag.Core.VectorIndex.IVectorIndex"/> and <see cref="IQdrantSnapshots"/> over Qdrant's REST API,
    /// reachable through <c>ConnectionStrings:{connectionName}</c>, configured by the "Qdrant" section, with a
    /// "qdrant" health check on its /readyz.
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

        services.TryAddSingleton(serviceProvider => new QdrantVectorIndex(
            new QdrantRestClient(serviceProvider.GetRequiredService<IHttpClientFactory>(), httpClientName),
            serviceProvider.GetRequiredService<IOptions<QdrantOptions>>(),
            serviceProvider.GetRequiredService<ILogger<QdrantVectorIndex>>()));
        services.TryAddSingleton<Rag.Core.VectorIndex.IVectorIndex>(serviceProvider => serviceProvider.GetRequiredService<QdrantVectorIndex>());
        services.TryAddSingleton<IQdrantSnapshots>(serviceProvider => serviceProvider.GetRequiredService<QdrantVectorIndex>());

        services.AddHealthChecks().Add(new Diagnostics.HealthChecks.HealthCheckRegistration(
            "qdrant",
            serviceProvider => new QdrantHealthCheck(serviceProvider.GetRequiredService<IHttpClientFactory>(), httpClientName),
            failureStatus: null,
            tags: ["ready"]));

        return builder;
    }
}
