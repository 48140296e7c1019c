using System.Runtime.Intrinsics.X86;
using Rag.Core.VectorIndex.InProcess;

namespace Rag.Tests.VectorIndex;

public class Int8MultiQueryDotTests
{
    public static TheoryData<int> RowLengths => [64, 128, 384, 448];

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void GivesTheExactDotProductOfTheRowWithEachQuery(int rowLength)
    {
        var (row, queries) = RandomRowAndQueries(rowLength, new Random(rowLength));
        var dots = new int[Int8MultiQueryDot.Width];

        Int8MultiQueryDot.Compute(row, queries[0], queries[1], queries[2], queries[3], dots);

        Assert.Equal(queries.Select(query => ExpectedDot(row, query)), dots);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void ThePortablePathGivesTheExactDotProduct(int rowLength)
    {
        var (row, queries) = RandomRowAndQueries(rowLength, new Random(rowLength + 1));
        var dots = new int[Int8MultiQueryDot.Width];

        Int8MultiQueryDot.ComputePortable(row, queries[0], queries[1], queries[2], queries[3], dots);

        Assert.Equal(queries.Select(query => ExpectedDot(row, query)), dots);
    }

    // On a machine with AVX-512, Compute takes the AVX-512 path; this keeps the AVX2 one covered too.
    [Theory]
    [MemberData(nameof(RowLengths))]
    public void TheAvx2PathGivesTheExactDotProductWhereAvx2Exists(int rowLength)
    {
        var (row, queries) = RandomRowAndQueries(rowLength, new Random(rowLength + 2));
        var dots = new int[Int8MultiQueryDot.Width];
        if (!Avx2.IsSupported)
        {
            Assert.Throws<PlatformNotSupportedException>(() => Int8MultiQueryDot.ComputeAvx2(row, queries[0], queries[1], queries[2], queries[3], dots));
            return;
        }

        Int8MultiQueryDot.ComputeAvx2(row, queries[0], queries[1], queries[2], queries[3], dots);

        Assert.Equal(queries.Select(query => ExpectedDot(row, query)), dots);
    }

    [Fact]
    public void TheExtremesOfTheQuantizationRangesDoNotSaturate()
    {
        var row = Enumerable.Repeat(byte.MaxValue, 384).ToArray();
        var highest = Enumerable.Repeat((sbyte)63, 384).ToArray();
        var lowest = Enumerable.Repeat((sbyte)-63, 384).ToArray();
        var dots = new int[Int8MultiQueryDot.Width];

        Int8MultiQueryDot.Compute(row, highest, lowest, highest, lowest, dots);

        Assert.Equal([384 * 255 * 63, -384 * 255 * 63, 384 * 255 * 63, -384 * 255 * 63], dots);
    }

    [Fact]
    public void RefusesQueriesOfAnotherLengthAndUnpaddedRows()
    {
        var dots = new int[Int8MultiQueryDot.Width];
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.Compute(new byte[64], new sbyte[64], new sbyte[64], new sbyte[128], new sbyte[64], dots));
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.Compute(new byte[32], new sbyte[32], new sbyte[32], new sbyte[32], new sbyte[32], dots));
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.ComputePortable(new byte[64], new sbyte[64], new sbyte[64], new sbyte[64], new sbyte[64], new int[3]));
    }

    private static (byte[] Row, sbyte[][] Queries) RandomRowAndQueries(int rowLength, Random random)
    {
        var row = Enumerable.Range(0, rowLength).Select(_ => (byte)random.Next(0, 256)).ToArray();
        var queries = Enumerable.Range(0, Int8MultiQueryDot.Width)
            .Select(_ => Enumerable.Range(0, rowLength).Select(_ => (sbyte)random.Next(-63, 64)).ToArray())
            .ToArray();
        return (row, queries);
    }

    private static int ExpectedDot(byte[] row, sbyte[] query) => row.Zip(query, (a, b) => a * b).Sum();
}
