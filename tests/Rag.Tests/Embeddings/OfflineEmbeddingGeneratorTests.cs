using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Rag.Core.Embeddings;

namespace Rag.Tests.Embeddings;

public class OfflineEmbeddingGeneratorTests
{
    private const string Query = "How does the vector index store embeddings for similarity search?";

    [Fact]
    public async Task TheSameTextAlwaysGivesTheSameVector()
    {
        using var first = new OfflineEmbeddingGenerator();
        using var second = new OfflineEmbeddingGenerator();

        var a = await first.GenerateVectorAsync(Query);
        var b = await second.GenerateVectorAsync(Query);

        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Theory]
    [InlineData(Query)]
    [InlineData("the of and")]
    [InlineData("x")]
    [InlineData("Ünïcödé wörds and 12345 numbers, plus a verylongwordthatgoesonandonandonwithoutendinsightatallreallyforeverandever")]
    public async Task VectorsAreUnitLength(string text)
    {
        using var generator = new OfflineEmbeddingGenerator();

        var vector = await generator.GenerateVectorAsync(text);

        Assert.Equal(OfflineEmbeddingGenerator.DefaultDimensions, vector.Length);
        Assert.InRange(TensorPrimitives.Norm(vector.Span), 0.999f, 1.001f);
    }

    [Fact]
    public async Task TextWithoutWordsGivesTheZeroVector()
    {
        using var generator = new OfflineEmbeddingGenerator();

        var vector = await generator.GenerateVectorAsync(" ... !? ");

        Assert.All(vector.ToArray(), value => Assert.Equal(0f, value));
    }

    [Fact]
    public async Task RelatedTextsScoreHigherThanUnrelatedOnes()
    {
        using var generator = new OfflineEmbeddingGenerator();
        var embeddings = await generator.GenerateAsync(
        [
            Query,
            "Embeddings are stored in the vector index, which answers similarity searches.",
            "Preheat the oven and bake the bread for thirty minutes.",
            "The football match ended in a draw after extra time.",
        ]);

        var related = Cosine(embeddings[0], embeddings[1]);
        Assert.True(related > Cosine(embeddings[0], embeddings[2]) + 0.1f, $"related {related} vs bread {Cosine(embeddings[0], embeddings[2])}");
        Assert.True(related > Cosine(embeddings[0], embeddings[3]) + 0.1f, $"related {related} vs football {Cosine(embeddings[0], embeddings[3])}");
    }

    [Fact]
    public async Task InflectionsOfAWordAreNeighbours()
    {
        using var generator = new OfflineEmbeddingGenerator();
        var embeddings = await generator.GenerateAsync(["indexing documents", "indexed document", "baking bread"]);

        Assert.True(Cosine(embeddings[0], embeddings[1]) > 0.5f, $"got {Cosine(embeddings[0], embeddings[1])}");
        Assert.True(Cosine(embeddings[0], embeddings[2]) < 0.2f, $"got {Cosine(embeddings[0], embeddings[2])}");
    }

    [Fact]
    public async Task ABatchGivesEachInputItsOwnVectorInOrder()
    {
        using var generator = new OfflineEmbeddingGenerator();
        var texts = Enumerable.Range(0, 50).Select(i => $"document {i} talks about topic {i % 7}").ToList();

        var batch = await generator.GenerateAsync(texts);

        Assert.Equal(texts.Count, batch.Count);
        for (var i = 0; i < texts.Count; i++)
        {
            Assert.Equal((await generator.GenerateVectorAsync(texts[i])).ToArray(), batch[i].Vector.ToArray());
            Assert.Equal(OfflineEmbeddingGenerator.ModelId, batch[i].ModelId);
        }
    }

    [Fact]
    public async Task TheDimensionIsConfigurableAndReportedInMetadata()
    {
        using var generator = new OfflineEmbeddingGenerator(dimensions: 128);

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        var vector = await generator.GenerateVectorAsync(Query);
        var requested = await generator.GenerateVectorAsync(Query, new EmbeddingGenerationOptions { Dimensions = 64 });

        Assert.NotNull(metadata);
        Assert.Equal(OfflineEmbeddingGenerator.ModelId, metadata.DefaultModelId);
        Assert.Equal(128, metadata.DefaultModelDimensions);
        Assert.Equal(128, vector.Length);
        Assert.Equal(64, requested.Length);
    }

    [Fact]
    public async Task AnotherModelIsRefused()
    {
        using var generator = new OfflineEmbeddingGenerator();

        await Assert.ThrowsAsync<ArgumentException>(
            () => generator.GenerateAsync(["text"], new EmbeddingGenerationOptions { ModelId = "text-embedding-3-small" }));
    }

    private static float Cosine(Embedding<float> a, Embedding<float> b) => TensorPrimitives.CosineSimilarity(a.Vector.Span, b.Vector.Span);
}
