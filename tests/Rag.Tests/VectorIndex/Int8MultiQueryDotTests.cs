using System.Runtime.Intrinsics;
using Rag.Core.VectorIndex.InProcess;

namespace Rag.Tests.VectorIndex;

public class Int8MultiQueryDotTests
{
    public static TheoryData<int> RowLengths => [128, 256, 384, 512];

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void GivesTheExactDotProductOfTheRowWithEachQuery(int rowLength)
    {
        var (row, queries) = RandomRowAndQueries(rowLength, new Random(rowLength));
        var dots = Int8MultiQueryDot.Compute(row, queries[0], queries[1], queries[2], queries[3]);

        Assert.Equal(Vector128.Create(queries.Select(query => ExpectedDot(row, query)).ToArray()), dots);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void ThePortablePathGivesTheExactDotProduct(int rowLength)
    {
        var (row, queries) = RandomRowAndQueries(rowLength, new Random(rowLength + 1));
        var dots = Int8MultiQueryDot.ComputePortable(row, queries[0], queries[1], queries[2], queries[3]);

        Assert.Equal(Vector128.Create(queries.Select(query => ExpectedDot(row, query)).ToArray()), dots);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void OneOrTwoQueriesGiveTheirDotProductsAndZeroLanes(int rowLength)
    {
        var (row, queries) = RandomRowAndQueries(rowLength, new Random(rowLength + 2));

        Assert.Equal(Vector128.Create(ExpectedDot(row, queries[0]), 0, 0, 0), Int8MultiQueryDot.ComputeFew(row, queries[0], null));
        Assert.Equal(Vector128.Create(ExpectedDot(row, queries[0]), ExpectedDot(row, queries[1]), 0, 0), Int8MultiQueryDot.ComputeFew(row, queries[0], queries[1]));
    }

    [Fact]
    public void TheExtremesOfTheQuantizationRangesDoNotSaturate()
    {
        var row = Enumerable.Repeat((byte)63, 384).ToArray();
        var highest = Enumerable.Repeat((sbyte)63, 384).ToArray();
        var lowest = Enumerable.Repeat((sbyte)-63, 384).ToArray();
        var dots = Int8MultiQueryDot.Compute(row, highest, lowest, highest, lowest);

        Assert.Equal(Vector128.Create(384 * 63 * 63, -384 * 63 * 63, 384 * 63 * 63, -384 * 63 * 63), dots);
        Assert.Equal(Vector128.Create(-384 * 63 * 63, 384 * 63 * 63, 0, 0), Int8MultiQueryDot.ComputeFew(row, lowest, highest));
    }

    [Fact]
    public void RefusesQueriesOfAnotherLengthAndUnpaddedRows()
    {
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.Compute(new byte[128], new sbyte[128], new sbyte[128], new sbyte[256], new sbyte[128]));
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.Compute(new byte[64], new sbyte[64], new sbyte[64], new sbyte[64], new sbyte[64]));
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.ComputePortable(new byte[192], new sbyte[192], new sbyte[192], new sbyte[192], new sbyte[192]));
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.ComputeFew(new byte[128], new sbyte[256], null));
    }

    private static (byte[] Row, sbyte[][] Queries) RandomRowAndQueries(int rowLength, Random random)
    {
        var row = Enumerable.Range(0, rowLength).Select(_ => (byte)random.Next(0, 64)).ToArray();
        var queries = Enumerable.Range(0, Int8MultiQueryDot.Width)
            .Select(_ => Enumerable.Range(0, rowLength).Select(_ => (sbyte)random.Next(-63, 64)).ToArray())
            .ToArray();
        return (row, queries);
    }

    private static int ExpectedDot(byte[] row, sbyte[] query) => row.Zip(query, (a, b) => a * b).Sum();
}
