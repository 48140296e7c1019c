using System.Buffers;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace Rag.Core.Embeddings;

/// <summary>
/// A deterministic embedder that needs no network and no model files: the offline default.
/// It is lexical, not semantic: texts score as similar when they share words, word pairs and spelling
/// fragments, so "car" and "automobile" are strangers while "indexing" and "indexes" are neighbours.
/// </summary>
/// <remarks>
/// Features are lowercased, lightly stemmed word unigrams and bigrams (stop words dropped) and character
/// trigrams of each word; each feature's weight is 1 + ln(term frequency), added with a hash-derived sign at
/// a hash-derived position (feature hashing), and the vector is L2-normalised. Thread-safe.
/// </remarks>
public sealed class OfflineEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelId = "rag-offline-hash-v1";
    public const int DefaultDimensions = 384;

    private const float UnigramWeight = 1.0f;
    private const float BigramWeight = 0.5f;
    private const float TrigramWeight = 0.25f;

    // Longer "words" (hashes, base64, a megabyte without spaces) contribute their first characters only.
    private const int MaxWordLength = 64;

    private readonly EmbeddingGeneratorMetadata _metadata;

    public OfflineEmbeddingGenerator(int dimensions = DefaultDimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 8);
        Dimensions = dimensions;
        _metadata = new EmbeddingGeneratorMetadata("rag-offline", providerUri: null, ModelId, dimensions);
    }

    public int Dimensions { get; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.ModelId is { } requestedModel && requestedModel != ModelId)
        {
            throw new ArgumentException($"This generator only provides '{ModelId}', not '{requestedModel}'.", nameof(options));
        }

        var dimensions = options?.Dimensions ?? Dimensions;
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 8, "options.Dimensions");

        var embeddings = new GeneratedEmbeddings<Embedding<float>>();
        var features = new Dictionary<ulong, int>();
        foreach (var value in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ArgumentNullException.ThrowIfNull(value, nameof(values));
            var vector = new float[dimensions];
            Embed(value, vector, features);
            embeddings.Add(new Embedding<float>(vector) { ModelId = ModelId });
        }

        return Task.FromResult(embeddings);
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

    private static void Embed(string text, float[] vector, Dictionary<ulong, int> features)
    {
        features.Clear();
        var buffer = ArrayPool<char>.Shared.Rent(MaxWordLength + 2);
        try
        {
            ulong previousStem = 0;
            var hasPrevious = false;
            var position = 0;
            while (NextWord(text, ref position, out var word))
            {
                var length = Math.Min(word.Length, MaxWordLength);
                buffer[0] = '^';
                word[..length].ToLowerInvariant(buffer.AsSpan(1, length));
                buffer[length + 1] = '$';
                var lower = buffer.AsSpan(1, length);

                // Trigrams see the unstemmed word with boundary marks, so inflections still share most of them.
                var marked = buffer.AsSpan(0, length + 2);
                for (var i = 0; i + 3 <= marked.Length; i++)
                {
                    Count(features, FeatureHashing.Hash(marked.Slice(i, 3), FeatureKind.Trigram));
                }

                if (StopWords.IsStopWord(lower))
                {
                    hasPrevious = false;
                    continue;
                }

                var stem = LightStemmer.Stem(lower);
                var stemHash = FeatureHashing.Hash(stem, FeatureKind.Unigram);
                Count(features, stemHash);
                if (hasPrevious)
                {
                    Count(features, FeatureHashing.Combine(previousStem, stemHash));
                }

                previousStem = stemHash;
                hasPrevious = true;
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }

        foreach (var (feature, count) in features)
        {
            var weight = FeatureHashing.KindOf(feature) switch
            {
                FeatureKind.Unigram => UnigramWeight,
                FeatureKind.Bigram => BigramWeight,
                _ => TrigramWeight,
            } * (1f + MathF.Log(count));
            var index = (int)((feature >> 1) % (ulong)vector.Length);
            vector[index] += (feature & 1) == 0 ? weight : -weight;
        }

        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    private static void Count(Dictionary<ulong, int> features, ulong feature)
    {
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(features, feature, out _)++;
    }

    // A word is a run of letters and digits; everything else separates words.
    private static bool NextWord(string text, ref int position, out ReadOnlySpan<char> word)
    {
        while (position < text.Length && !char.IsLetterOrDigit(text[position]))
        {
            position++;
        }

        var start = position;
        while (position < text.Length && char.IsLetterOrDigit(text[position]))
        {
            position++;
        }

        word = text.AsSpan(start, position - start);
        return position > start;
    }
}
