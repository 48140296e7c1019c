using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;
using Rag.Core.Telemetry;

namespace Rag.Core.Embeddings;

/// <summary>
/// Serves embeddings from an <see cref="IEmbeddingCache"/> and sends only the misses to the inner generator,
/// in one batch (each distinct text once), keeping the input order. Entries are keyed by model id, dimension
/// and the SHA-256 of the text, so a model change never returns another model's vectors.
/// </summary>
public sealed class CachingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> innerGenerator, IEmbeddingCache cache)
    : DelegatingEmbeddingGenerator<string, Embedding<float>>(innerGenerator)
{
    private readonly IEmbeddingCache _cache = cache ?? throw new ArgumentNullException(nameof(cache));

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values as IReadOnlyList<string> ?? values.ToList();
        var metadata = InnerGenerator.GetService<EmbeddingGeneratorMetadata>();
        var modelId = options?.ModelId ?? metadata?.DefaultModelId
            ?? throw new InvalidOperationException("Embeddings are cached per model, but neither the options nor the inner generator name one.");
        var dimensions = options?.Dimensions ?? metadata?.DefaultModelDimensions;

        var keys = new string[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(texts[i], nameof(values));
            keys[i] = CreateKey(modelId, dimensions, texts[i]);
        }

        var cached = await _cache.GetManyAsync(keys, cancellationToken);
        if (cached.Count != keys.Length)
        {
            throw new InvalidOperationException($"The embedding cache answered {cached.Count} entries for {keys.Length} keys.");
        }

        var missIndexByKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var missTexts = new List<string>();
        for (var i = 0; i < keys.Length; i++)
        {
            if (cached[i] is null && missIndexByKey.TryAdd(keys[i], missTexts.Count))
            {
                missTexts.Add(texts[i]);
            }
        }

        var misses = cached.Count(vector => vector is null);
        RagMetrics.RecordCacheLookups("embedding", hits: keys.Length - misses, misses: misses);

        GeneratedEmbeddings<Embedding<float>>? generated = null;
        if (missTexts.Count > 0)
        {
            generated = await base.GenerateAsync(missTexts, options, cancellationToken);
            if (generated.Count != missTexts.Count)
            {
                throw new InvalidOperationException($"The inner generator returned {generated.Count} embeddings for {missTexts.Count} inputs.");
            }

            var entries = missIndexByKey.Select(pair => KeyValuePair.Create(pair.Key, generated[pair.Value].Vector)).ToList();
            await _cache.SetManyAsync(entries, cancellationToken);
        }

        var result = new GeneratedEmbeddings<Embedding<float>>(keys.Length) { Usage = generated?.Usage };
        for (var i = 0; i < keys.Length; i++)
        {
            result.Add(cached[i] is { } vector
                ? new Embedding<float>(vector) { ModelId = modelId }
                : generated![missIndexByKey[keys[i]]]);
        }

        return result;
    }

    private static string CreateKey(string modelId, int? dimensions, string text)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return $"{modelId}:{dimensions?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"}:{Convert.ToHexStringLower(hash)}";
    }
}
