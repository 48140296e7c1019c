using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Rag.Core;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.Qdrant;

namespace Rag.Tests.VectorIndex.Qdrant;

/// <summary>
/// A Qdrant double plus hosts wired exactly as services wire the index (<c>AddQdrantVectorIndex("qdrant_http")</c>).
/// Each host gets its own collection unless told otherwise, so tests sharing one double do not see each other.
/// </summary>
public sealed class QdrantDoubleFixture : IAsyncLifetime
{
    private readonly List<IHost> _hosts = [];

    public QdrantDouble Qdrant { get; private set; } = null!;

    public async Task InitializeAsync() => Qdrant = await QdrantDouble.StartAsync();

    /// <summary>A fresh index over a fresh collection of the double: what the shared vector index suite needs.</summary>
    public async Task<IVectorIndex> CreateIndexAsync() => (await StartHostAsync()).Services.GetRequiredService<IVectorIndex>();

    /// <summary>Starts a host with the index registered; <paramref name="settings"/> override the defaults.</summary>
    public async Task<IHost> StartHostAsync(IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{ResourceNames.QdrantHttpConnection}"] = Qdrant.ConnectionString,
            ["Qdrant:CollectionName"] = "rag_chunks_" + Guid.NewGuid().ToString("N"),
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        // As in every service: ServiceDefaults gives each HttpClient its resilience handler, so a test that a 4xx
        // is not retried covers the whole outgoing pipeline.
        builder.AddServiceDefaults();
        builder.AddQdrantVectorIndex(ResourceNames.QdrantHttpConnection);
        var host = builder.Build();
        _hosts.Add(host);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(timeout.Token);
        return host;
    }

    /// <summary>The collection a host's index uses.</summary>
    public static string CollectionOf(IHost host) => host.Services.GetRequiredService<IOptions<QdrantOptions>>().Value.CollectionName;

    /// <summary>A client that talks to the double directly, for inspecting what the index stored.</summary>
    public HttpClient CreateInspectionClient()
    {
        var client = new HttpClient { BaseAddress = Qdrant.Endpoint, Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Add("api-key", Qdrant.ApiKey);
        return client;
    }

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }

        await Qdrant.DisposeAsync();
    }
}
