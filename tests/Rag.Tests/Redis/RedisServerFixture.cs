using Rag.Core.Redis;
using Rag.LocalHost.Processes;

namespace Rag.Tests.Redis;

/// <summary>One real redis-server for the "Redis" collection. Tests that stop or reconfigure a server start their own.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;
    private IRedisClient? _client;

    public RedisServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>A client shared by the collection's tests; each test uses its own key prefix.</summary>
    public IRedisClient Client => _client ?? throw new InvalidOperationException("The fixture has not started.");

    public async Task InitializeAsync()
    {
        _server = await RedisServer.StartAsync();
        _client = CreateClient();
    }

    public IRedisClient CreateClient(RedisClientOptions? options = null) =>
        RedisClientFactory.Create(Server.ConnectionString, options);

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "Redis";
}
