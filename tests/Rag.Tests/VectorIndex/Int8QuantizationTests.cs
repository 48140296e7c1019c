using Rag.Core.VectorIndex.InProcess;

namespace Rag.Tests.VectorIndex;

public class Int8QuantizationTests
{
    [Fact]
    public void TheLargestComponentBecomes127AndEveryComponentIsWithinHalfAStep()
    {
        var random = new Random(40);
        var vector = Enumerable.Range(0, 384).Select(_ => random.NextSingle() - 0.5f).ToArray();
        vector[17] = -0.9f;
        var quantized = new sbyte[Int8Quantization.RowLength(vector.Length)];

        var scale = Int8Quantization.Quantize(vector, quantized);

        Assert.Equal(0.9f / 127, scale, 1e-7f);
        Assert.Equal(-127, quantized[17]);
        for (var i = 0; i < vector.Length; i++)
        {
            Assert.InRange(vector[i] - (quantized[i] * scale), -scale / 2 - 1e-6f, scale / 2 + 1e-6f);
        }
    }

    [Fact]
    public void AZeroVectorQuantizesToZerosWithScaleZero()
    {
        var quantized = new sbyte[32];
        Array.Fill(quantized, (sbyte)5);

        var scale = Int8Quantization.Quantize(new float[20], quantized);

        Assert.Equal(0, scale);
        Assert.All(quantized[..20], value => Assert.Equal(0, value));
    }

    [Theory]
    [InlineData(1, 32)]
    [InlineData(16, 32)]
    [InlineData(32, 32)]
    [InlineData(384, 384)]
    [InlineData(385, 416)]
    public void QueriesArePaddedWithZerosToWholeKernelSteps(int dimension, int rowLength)
    {
        var query = Enumerable.Range(1, dimension).Select(i => (float)i).ToArray();

        var quantized = Int8Quantization.QuantizeQuery(query);

        Assert.Equal(rowLength, quantized.Length);
        Assert.Equal(127, quantized[dimension - 1]);
        Assert.All(quantized[dimension..], value => Assert.Equal(0, value));
    }
}
