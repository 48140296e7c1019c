using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rag.Core.Embeddings;
using Rag.Core.Generation;
using Rag.Core.Models;

namespace Rag.Tests.Models;

public sealed class OpenAICompatibleProviderTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private FakeOpenAIServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAIServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task StreamsTheAnswerAsSeparateUpdatesAndSendsTheContractRequest()
    {
        using var client = CreateChatClient();
        using var timeout = new CancellationTokenSource(Patience);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(
            [new(ChatRole.System, "Be brief."), new(ChatRole.User, "What is the answer?")], cancellationToken: timeout.Token))
        {
            updates.Add(update);
        }

        Assert.Equal("The answer is 42 [1].", string.Concat(updates.Select(u => u.Text)));
        Assert.True(updates.Count(u => u.Text.Length > 0) >= 6, "Each streamed chunk should surface as its own update.");
        Assert.Equal(ChatFinishReason.Stop, updates.Last(u => u.FinishReason is not null).FinishReason);

        var request = Assert.Single(_server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal($"Bearer {FakeOpenAIServer.ValidKey}", request.Authorization);
        Assert.Equal("chat-model", request.Body["model"]!.GetValue<string>());
        Assert.True(request.Body["stream"]!.GetValue<bool>());
        var messages = request.Body["messages"]!.AsArray();
        Assert.Equal(["system", "user"], messages.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal("What is the answer?", messages[1]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task CompleteResponseCarriesTextAndUsageWithoutStreaming()
    {
        using var client = CreateChatClient();

        var response = await client.GetResponseAsync([new(ChatRole.User, "What is the answer?")]);

        Assert.Equal("The answer is 42 [1].", response.Text);
        Assert.Equal(6, response.Usage?.OutputTokenCount);
        Assert.NotEqual(true, Assert.Single(_server.Requests).Body["stream"]?.GetValue<bool>());
    }

    [Fact]
    public async Task CancellingAStreamClosesTheConnection()
    {
        _server.StreamForever = true;
        using var client = CreateChatClient();
        using var cancellation = new CancellationTokenSource();
        var received = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync([new(ChatRole.User, "Talk forever.")], cancellationToken: cancellation.Token))
            {
                if (++received == 3)
                {
                    await cancellation.CancelAsync();
                }
            }
        });

        Assert.Equal(3, received);
        // The server notices the closed connection: generation stops upstream, not only in our loop.
        await _server.StreamAborted.WaitAsync(Patience);
    }

    [Fact]
    public async Task ThrottledRequestIsRetriedAfterTheRetryAfterDelay()
    {
        // Two seconds is far above the SDK's own first back-off (0.8 s), so only honouring the header explains the gap.
        _server.ThrottleNextRequest(retryAfterSeconds: 2);
        using var client = CreateChatClient();

        var response = await client.GetResponseAsync([new(ChatRole.User, "What is the answer?")]).WaitAsync(Patience);

        Assert.Equal("The answer is 42 [1].", response.Text);
        var requests = _server.Requests.ToList();
        Assert.Equal(2, requests.Count);
        var gap = requests[1].ReceivedAt - requests[0].ReceivedAt;
        Assert.True(gap >= TimeSpan.FromSeconds(1.9), $"The retry came {gap.TotalSeconds:F2} s after the 429, before its Retry-After of 2 s.");
    }

    [Fact]
    public async Task RejectedKeyFailsClearlyWithoutRevealingTheKey()
    {
        const string wrongKey = "sk-wrong-secret-key-987654321";
        using var chat = CreateChatClient(wrongKey);
        using var embeddings = CreateEmbeddingGenerator(wrongKey);

        var complete = await Assert.ThrowsAsync<ModelAuthenticationException>(() => chat.GetResponseAsync([new(ChatRole.User, "Hi")]));
        var streamed = await Assert.ThrowsAsync<ModelAuthenticationException>(async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync([new(ChatRole.User, "Hi")]))
            {
                Assert.Fail($"No update expected from a rejected key, got '{update.Text}'.");
            }
        });
        var embedded = await Assert.ThrowsAsync<ModelAuthenticationException>(() => embeddings.GenerateAsync(["Hi"]));

        foreach (var exception in new Exception[] { complete, streamed, embedded })
        {
            Assert.Contains("rejected the API key", exception.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(wrongKey, exception.ToString(), StringComparison.Ordinal);
        }

        // A rejected key is final: retrying it would only repeat the 401.
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task EmbeddingsComeBackInInputOrderFromTheConfiguredModel()
    {
        using var generator = CreateEmbeddingGenerator(FakeOpenAIServer.ValidKey);

        var embeddings = await generator.GenerateAsync(["a", "bbb", "cc"], new Microsoft.Extensions.AI.EmbeddingGenerationOptions { Dimensions = 4 });

        Assert.Equal([1f, 3f, 2f], embeddings.Select(e => e.Vector.Span[0]));
        Assert.All(embeddings, e => Assert.Equal(4, e.Vector.Length));
        var request = Assert.Single(_server.Requests);
        Assert.Equal("/v1/embeddings", request.Path);
        Assert.Equal("embedding-model", request.Body["model"]!.GetValue<string>());
        Assert.Equal(["a", "bbb", "cc"], request.Body["input"]!.AsArray().Select(i => i!.GetValue<string>()));
    }

    [Fact]
    public void AddRagModelsChoosesTheEndpointOnlyWhenOneIsConfigured()
    {
        Assert.IsType<OpenAICompatibleChatClient>(ResolveChatClient(new() { ["AI:Endpoint"] = _server.Endpoint.ToString(), ["AI:ChatModel"] = "chat-model" }));
        Assert.IsType<ExtractiveChatClient>(ResolveChatClient([]));
    }

    [Fact]
    public async Task OnlyAnEndpointsEmbeddingsGoThroughTheRedisCache()
    {
        var cached = Assert.IsType<CachingEmbeddingGenerator>(await ResolveEmbeddingGeneratorAsync(new()
        {
            ["AI:Endpoint"] = _server.Endpoint.ToString(), ["AI:ChatModel"] = "chat-model", ["AI:EmbeddingModel"] = "embedding-model",
        }));
        Assert.NotNull(cached.GetService<OpenAICompatibleEmbeddingGenerator>());

        // Computing an offline embedding is cheaper than the cache's round trip to Redis.
        Assert.IsType<OfflineEmbeddingGenerator>(await ResolveEmbeddingGeneratorAsync([]));
    }

    private static IChatClient ResolveChatClient(Dictionary<string, string?> settings)
    {
        using var host = BuildHost(settings);
        return host.Services.GetRequiredService<IChatClient>();
    }

    private static async Task<IEmbeddingGenerator<string, Embedding<float>>> ResolveEmbeddingGeneratorAsync(Dictionary<string, string?> settings)
    {
        // The embedding cache needs a Redis client; it never connects here. The client is disposed asynchronously only.
        var host = BuildHost(new(settings) { ["ConnectionStrings:cache"] = "127.0.0.1:1" }, withRedis: true);
        await using var _ = (IAsyncDisposable)host;
        return host.Services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
    }

    private static IHost BuildHost(Dictionary<string, string?> settings, bool withRedis = false)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        if (withRedis)
        {
            builder.AddRedisClient("cache");
        }

        builder.AddRagModels();
        return builder.Build();
    }

    private OpenAICompatibleChatClient CreateChatClient(string key = FakeOpenAIServer.ValidKey)
    {
        var options = Options(key);
        return new OpenAICompatibleChatClient(OpenAIClientFactory.Create(options, TimeProvider.System), options.Endpoint!, "chat-model");
    }

    private OpenAICompatibleEmbeddingGenerator CreateEmbeddingGenerator(string key)
    {
        var options = Options(key);
        return new OpenAICompatibleEmbeddingGenerator(OpenAIClientFactory.Create(options, TimeProvider.System), options.Endpoint!, "embedding-model");
    }

    private ModelOptions Options(string key) =>
        new() { Endpoint = _server.Endpoint, Key = key, ChatModel = "chat-model", EmbeddingModel = "embedding-model", MaxRetries = 2 };
}
