using Npgsql;
using Rag.Core.Storage;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class EmbeddingColumnTests(PostgresFixture postgres)
{
    [Fact]
    public async Task DecodesWhatNpgsqlDecodesIncludingEdgeValuesAndNull()
    {
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync());
        var random = new Random(5);
        float[][] embeddings =
        [
            [.. Enumerable.Range(0, 384).Select(_ => (float)((random.NextDouble() * 2) - 1))],
            [0f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-30f],
            [],
        ];

        foreach (var embedding in embeddings)
        {
            await using var command = dataSource.CreateCommand("SELECT array_send($1::real[]), $1::real[]");
            command.Parameters.Add(new() { Value = embedding });
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());

            Assert.Equal(reader.GetFieldValue<float[]>(1), EmbeddingColumn.Read(reader, 0));
            Assert.Equal(embedding, EmbeddingColumn.Read(reader, 0));
        }

        await using var nulls = dataSource.CreateCommand("SELECT array_send(NULL::real[])");
        await using var nullReader = await nulls.ExecuteReaderAsync();
        Assert.True(await nullReader.ReadAsync());
        Assert.Null(EmbeddingColumn.Read(nullReader, 0));
    }

    [Theory]
    [InlineData("ARRAY[1, NULL, 3]::real[]", "NULL")]
    [InlineData("ARRAY[[1, 2], [3, 4]]::real[]", "dimensions")]
    [InlineData("ARRAY[1, 2]::float8[]", "type")]
    public async Task RefusesWhatIsNotAPlainArrayOfFloats(string array, string reason)
    {
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync());
        await using var command = dataSource.CreateCommand($"SELECT array_send({array})");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());

        var error = Assert.Throws<FormatException>(() => EmbeddingColumn.Read(reader, 0));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
