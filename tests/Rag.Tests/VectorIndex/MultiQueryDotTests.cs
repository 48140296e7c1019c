using Rag.Core.VectorIndex.InProcess;

namespace Rag.Tests.VectorIndex;

public class MultiQueryDotTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(37)]
    [InlineData(384)]
    public void GivesTheDotProductOfTheVectorWithEachQuery(int dimension)
    {
        var random = new Random(dimension);
        var vector = Enumerable.Range(0, dimension).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var queries = Enumerable.Range(0, MultiQueryDot.Width)
            .Select(_ => Enumerable.Range(0, dimension).Select(_ => random.NextSingle() - 0.5f).ToArray())
            .ToArray();
        var scores = new float[MultiQueryDot.Width];

        MultiQueryDot.Compute(vector, queries[0], queries[1], queries[2], queries[3], scores);

        for (var q = 0; q < queries.Length; q++)
        {
            var expected = vector.Zip(queries[q], (a, b) => (double)a * b).Sum();
            Assert.InRange(scores[q], expected - 1e-4, expected + 1e-4);
        }
    }

    [Fact]
    public void RefusesQueriesOfAnotherDimension()
    {
        Assert.Throws<ArgumentException>(() => MultiQueryDot.Compute(new float[8], new float[8], new float[8], new float[7], new float[8], new float[4]));
    }
}
