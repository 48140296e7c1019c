using Npgsql;
using Rag.Core.VectorIndex.InProcess;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.VectorIndex;

[Collection(PostgresCollection.Name)]
public sealed class QueryLexemesTests(PostgresFixture postgres)
{
    public static TheoryData<string> Queries =>
    [
        // Plain questions, split here: case, stop words, apostrophes, repeats and sentence punctuation.
        "How does VACUUM reclaim storage?",
        "Don't the WAL's checkpoints (and vacuum) matter?! Vacuum, vacuuming; \"vacuumed\".",
        "the and of it a an",
        "Replication\tstandby\nservers\r\nstatistics.",
        "ends with a full stop.",
        // PostgreSQL's parser has its own readings of these: they are parsed there whole.
        "e.g. write-ahead logs",
        "x86 settings for PostgreSQL 15.2",
        "mail admin@example.com about https://example.com/docs/page.html",
        "café résumé naïve",
        "'; DROP TABLE chunks; -- & | ! :* () <-> \\",
        "",
    ];

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task LexemesAreThoseOfPostgreSqlsEnglishConfigurationFirstAndFromMemory(string query)
    {
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync());
        var expected = await ParseInPostgreSqlAsync(dataSource, query);
        var lexemes = new QueryLexemes(dataSource);

        Assert.Equal(expected, (await lexemes.GetAsync(query)).Order(StringComparer.Ordinal));
        Assert.Equal(expected, (await lexemes.GetAsync(query)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task WordsSeenBeforeNeedNoDatabase()
    {
        var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync());
        var lexemes = new QueryLexemes(dataSource);
        var first = await lexemes.GetAsync("How does vacuum reclaim storage?");
        await dataSource.DisposeAsync();

        // The same words in another question and another order.
        Assert.Equal(first.Order(StringComparer.Ordinal), (await lexemes.GetAsync("storage, reclaim, vacuum. How does?")).Order(StringComparer.Ordinal));

        // Another case is another word: PostgreSQL lower-cases it by the database's locale, not ours.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => lexemes.GetAsync("VACUUM"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => lexemes.GetAsync("a word never seen"));
    }

    [Theory]
    [InlineData("How does Vacuum work?", new[] { "How", "does", "Vacuum", "work" })]
    [InlineData("Don't stop.", new[] { "Don", "t", "stop" })]
    [InlineData("e.g. this", null)]
    [InlineData("write-ahead", null)]
    [InlineData("x86", null)]
    [InlineData("naïve", null)]
    [InlineData("key: value", null)]
    [InlineData("end.", new[] { "end" })]
    public void OnlyPlainQuestionsAreSplitHere(string query, string[]? words)
    {
        var split = QueryLexemes.SplitPlainWords(query);

        Assert.Equal(words?.Order(StringComparer.Ordinal), split?.Order(StringComparer.Ordinal));
    }

    private static async Task<string[]> ParseInPostgreSqlAsync(NpgsqlDataSource dataSource, string query)
    {
        await using var command = dataSource.CreateCommand("SELECT tsvector_to_array(to_tsvector('english', $1))");
        command.Parameters.Add(new() { Value = query });
        return [.. ((string[])(await command.ExecuteScalarAsync())!).Order(StringComparer.Ordinal)];
    }
}
