using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;

namespace Rag.Core.Models;

/// <summary><see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over the OpenAI SDK's embeddings endpoint. Thread-safe.</summary>
internal sealed class OpenAICompatibleEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly OpenAIClient _client;
    private readonly Uri _endpoint;
    private readonly string _defaultModel;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public OpenAICompatibleEmbeddingGenerator(OpenAIClient client, Uri endpoint, string defaultModel, int? dimensions = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(defaultModel);
        _client = client;
        _endpoint = endpoint;
        _defaultModel = defaultModel;
        _metadata = new EmbeddingGeneratorMetadata("openai-compatible", endpoint, defaultModel, dimensions);
    }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, Microsoft.Extensions.AI.EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.ToList();
        var model = options?.ModelId ?? _defaultModel;
        var sdkOptions = new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = options?.Dimensions ?? _metadata.DefaultModelDimensions };
        OpenAIEmbeddingCollection result;
        try
        {
            result = await _client.GetEmbeddingClient(model).GenerateEmbeddingsAsync(inputs, sdkOptions, cancellationToken);
        }
        catch (ClientResultException exception) when (OpenAIClientFactory.AsAuthenticationFailure(exception, _endpoint) is { } authentication)
        {
            throw authentication;
        }

        if (result.Count != inputs.Count)
        {
            throw new InvalidOperationException($"The embeddings endpoint returned {result.Count} embeddings for {inputs.Count} inputs.");
        }

        // The protocol numbers each embedding with its input's index; order by it rather than trust the array order.
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(
            result.OrderBy(e => e.Index).Select(e => new Embedding<float>(e.ToFloats()) { ModelId = model }))
        {
            Usage = result.Usage is { } usage ? new UsageDetails { InputTokenCount = usage.InputTokenCount, TotalTokenCount = usage.TotalTokenCount } : null,
        };
        return embeddings;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
    }
}
