using Rag.Core.VectorIndex.InProcess;

namespace Rag.Tests.VectorIndex;

public class Int8QuantizationTests
{
    [Fact]
    public void AStoredVectorSpansTheSixBitRangeAndEveryComponentIsWithinHalfAStep()
    {
        var random = new Random(40);
        var vector = Enumerable.Range(0, 384).Select(_ => random.NextSingle() - 0.5f).ToArray();
        vector[17] = -0.9f;
        vector[18] = 0.9f;
        var quantized = new byte[Int8Quantization.RowLength(vector.Length)];

        var scale = Int8Quantization.QuantizeStored(vector, quantized);

        Assert.Equal(0.9f / 31, scale, 1e-7f);
        Assert.Equal(1, quantized[17]);
        Assert.Equal(63, quantized[18]);
        for (var i = 0; i < vector.Length; i++)
        {
            Assert.InRange(vector[i] - ((quantized[i] - 32) * scale), (-scale / 2) - 1e-6f, (scale / 2) + 1e-6f);
        }
    }

    [Fact]
    public void AZeroVectorQuantizesToZeroWithScaleZero()
    {
        var quantized = new byte[128];

        var scale = Int8Quantization.QuantizeStored(new float[20], quantized);

        Assert.Equal(0, scale);
        Assert.All(quantized[..20], value => Assert.Equal(32, value));
    }

    [Theory]
    [InlineData(1, 128)]
    [InlineData(16, 128)]
    [InlineData(128, 128)]
    [InlineData(384, 384)]
    [InlineData(385, 512)]
    public void AQueryIsQuantizedToSixBitsAndASignPaddedWithZeros(int dimension, int rowLength)
    {
        var query = Enumerable.Range(1, dimension).Select(i => i % 2 == 0 ? i : -(float)i).ToArray();

        var quantized = Int8Quantization.QuantizeQuery(query);

        Assert.Equal(rowLength, quantized.Values.Length);
        Assert.Equal(63, Math.Abs((int)quantized.Values[dimension - 1]));
        Assert.All(quantized.Values, value => Assert.InRange(value, -63, 63));
        Assert.All(quantized.Values[dimension..], value => Assert.Equal(0, value));
        Assert.Equal(32 * quantized.Values.Sum(value => value), quantized.Offset);
    }

    [Fact]
    public void QuantizedDotProductsMinusTheOffsetApproximateTheCosineOrder()
    {
        var random = new Random(41);
        var query = UnitVector(random);
        var quantizedQuery = Int8Quantization.QuantizeQuery(query);
        var stored = Enumerable.Range(0, 200).Select(_ => UnitVector(random)).ToList();
        var rowLength = Int8Quantization.RowLength(query.Length);

        foreach (var vector in stored)
        {
            var row = new byte[rowLength];
            var scale = Int8Quantization.QuantizeStored(vector, row);
            var dot = row.Zip(quantizedQuery.Values, (a, b) => a * b).Sum();
            var cosine = vector.Zip(query, (a, b) => a * b).Sum();
            var queryScale = query.Max(Math.Abs) / 63;

            Assert.InRange((dot - quantizedQuery.Offset) * scale * queryScale, cosine - 0.01f, cosine + 0.01f);
        }
    }

    private static float[] UnitVector(Random random)
    {
        var vector = Enumerable.Range(0, 384).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var norm = MathF.Sqrt(vector.Sum(value => value * value));
        return vector.Select(value => value / norm).ToArray();
    }
}
