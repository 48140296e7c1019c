using Rag.Core.VectorIndex.InProcess;

namespace Rag.Tests.VectorIndex;

public class Int8MultiQueryDotTests
{
    public static TheoryData<int> RowLengths => [32, 64, 384, 416];

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void GivesTheExactIntegerDotProductOfTheRowWithEachQuery(int rowLength)
    {
        var (row, queries) = RandomRowAndQueries(rowLength, new Random(rowLength));
        var dots = new int[Int8MultiQueryDot.Width];

        Int8MultiQueryDot.Compute(row, queries[0], queries[1], queries[2], queries[3], dots);

        Assert.Equal(queries.Select(query => ExpectedDot(row, query)), dots);
    }

    [Theory]
    [MemberData(nameof(RowLengths))]
    public void ThePortablePathAgreesWithTheExactDotProduct(int rowLength)
    {
        var (row, queries) = RandomRowAndQueries(rowLength, new Random(rowLength + 1));
        var dots = new int[Int8MultiQueryDot.Width];

        Int8MultiQueryDot.ComputePortable(row, queries[0], queries[1], queries[2], queries[3], dots);

        Assert.Equal(queries.Select(query => ExpectedDot(row, query)), dots);
    }

    [Fact]
    public void ExtremeValuesDoNotOverflow()
    {
        var row = Enumerable.Repeat((sbyte)-127, 384).ToArray();
        var query = Enumerable.Repeat((short)-127, 384).ToArray();
        var opposite = Enumerable.Repeat((short)127, 384).ToArray();
        var dots = new int[Int8MultiQueryDot.Width];

        Int8MultiQueryDot.Compute(row, query, opposite, query, opposite, dots);

        Assert.Equal([384 * 127 * 127, -384 * 127 * 127, 384 * 127 * 127, -384 * 127 * 127], dots);
    }

    [Fact]
    public void RefusesQueriesOfAnotherLengthAndUnpaddedRows()
    {
        var dots = new int[Int8MultiQueryDot.Width];
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.Compute(new sbyte[32], new short[32], new short[32], new short[64], new short[32], dots));
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.Compute(new sbyte[16], new short[16], new short[16], new short[16], new short[16], dots));
        Assert.Throws<ArgumentException>(() => Int8MultiQueryDot.ComputePortable(new sbyte[32], new short[32], new short[32], new short[32], new short[32], new int[3]));
    }

    private static (sbyte[] Row, short[][] Queries) RandomRowAndQueries(int rowLength, Random random)
    {
        var row = Enumerable.Range(0, rowLength).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var queries = Enumerable.Range(0, Int8MultiQueryDot.Width)
            .Select(_ => Enumerable.Range(0, rowLength).Select(_ => (short)random.Next(-127, 128)).ToArray())
            .ToArray();
        return (row, queries);
    }

    private static int ExpectedDot(sbyte[] row, short[] query) => row.Zip(query, (a, b) => a * b).Sum();
}
