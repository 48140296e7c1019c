using System.Text;
using Rag.Core.Embeddings;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;
using Xunit.Abstractions;

namespace Rag.Tests.VectorIndex;

/// <summary>
/// The in-process index scans byte-quantized vectors and rescores the best candidates exactly: these tests hold
/// it to the exact float scan on corpora large enough that the candidates are a small fraction of the points.
/// </summary>
public class QuantizedSearchRecallTests(ITestOutputHelper output)
{
    private const int Dimension = OfflineEmbeddingGenerator.DefaultDimensions;
    private const int PointCount = 20_000;

    // Enough for the index to split its scan over two cores (it keeps at least 16,384 points per core).
    private const int PartitionedPointCount = 40_000;
    private const int QueryCount = 40;
    private const int Limit = 20;
    private const double MinimumRecall = 0.99;

    [Fact]
    public async Task FindsTheExactTopMatchesOfOfflineEmbedderVectorsWithExactScores()
    {
        var random = new Random(50);
        var vocabulary = Enumerable.Range(0, 3000).Select(_ => RandomWord(random)).ToArray();
        using var embedder = new OfflineEmbeddingGenerator(Dimension);
        var chunks = await embedder.GenerateAsync(Enumerable.Range(0, PointCount).Select(_ => Text(vocabulary, 60, random)));
        var queries = await embedder.GenerateAsync(Enumerable.Range(0, QueryCount).Select(_ => Text(vocabulary, 8, random)));

        await AssertRecallAsync(chunks.Select(embedding => embedding.Vector.ToArray()).ToList(), queries.Select(embedding => embedding.Vector.ToArray()).ToList());
    }

    // Random directions are the hard case: every cosine is near zero and neighbours are close together.
    [Fact]
    public async Task FindsTheExactTopMatchesOfRandomVectorsWithExactScoresWhenTheScanIsSplitOverCores()
    {
        var random = new Random(51);

        await AssertRecallAsync(
            Enumerable.Range(0, PartitionedPointCount).Select(_ => GaussianVector(random)).ToList(),
            Enumerable.Range(0, QueryCount).Select(_ => GaussianVector(random)).ToList());
    }

    private async Task AssertRecallAsync(List<float[]> vectors, List<float[]> queries)
    {
        var collectionId = Guid.NewGuid();
        var points = vectors
            .Select((vector, i) => new VectorPoint(Guid.NewGuid(), new Guid(i / 20, 0, 0, new byte[8]), collectionId, [], vector))
            .ToList();
        using var index = new InProcessVectorIndex();
        await index.LoadAsync("test-model", Dimension, points.ToAsyncEnumerable());

        // All at once, so that they are answered in shared batches as under load.
        var results = await Task.WhenAll(queries.Select(query => Task.Run(() => index.SearchAsync(query, Limit, VectorFilter.None))))
            .WaitAsync(TimeSpan.FromSeconds(60));

        var found = 0;
        for (var q = 0; q < queries.Count; q++)
        {
            var exact = points
                .Select(point => (point.ChunkId, Score: Cosine(queries[q], point.Vector.Span)))
                .OrderByDescending(candidate => candidate.Score)
                .Take(Limit)
                .ToList();
            var exactScores = exact.ToDictionary(candidate => candidate.ChunkId, candidate => candidate.Score);
            var matches = results[q];

            Assert.Equal(Limit, matches.Count);
            for (var i = 0; i < matches.Count; i++)
            {
                var point = points.First(point => point.ChunkId == matches[i].ChunkId);
                Assert.InRange(matches[i].Score, Cosine(queries[q], point.Vector.Span) - 1e-5, Cosine(queries[q], point.Vector.Span) + 1e-5);
                Assert.True(i == 0 || matches[i - 1].Score >= matches[i].Score, "Matches must come best first.");
            }

            found += matches.Count(match => exactScores.ContainsKey(match.ChunkId));
        }

        var recall = (double)found / (queries.Count * Limit);
        output.WriteLine($"recall@{Limit} against the exact float scan over {points.Count} points: {recall:F4}");
        Assert.True(recall >= MinimumRecall, $"recall@{Limit} was {recall:F4}, below {MinimumRecall}.");
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            normA += a[i] * (double)a[i];
            normB += b[i] * (double)b[i];
        }

        return dot / Math.Sqrt(normA * normB);
    }

    private static float[] GaussianVector(Random random) =>
        Enumerable.Range(0, Dimension).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))).ToArray();

    private static string RandomWord(Random random) =>
        new(Enumerable.Range(0, random.Next(3, 10)).Select(_ => (char)('a' + random.Next(26))).ToArray());

    // Word frequencies skewed like natural text: a few words are common, most are rare.
    private static string Text(string[] vocabulary, int words, Random random)
    {
        var text = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            text.Append(vocabulary[(int)(vocabulary.Length * Math.Pow(random.NextDouble(), 3))]).Append(' ');
        }

        return text.ToString();
    }
}
