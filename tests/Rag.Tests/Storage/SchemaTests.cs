using Npgsql;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class SchemaTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = PostgresFixture.WaitTimeout;

    [Fact]
    public async Task ChunkSearchVectorCoversHeadingsAndTextWithEnglishStemming()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync();
        var documentId = await InsertDocumentAsync(connectionString, DefaultCollection, Sha256(1));
        await Sql.ExecuteAsync(connectionString, $"""
            INSERT INTO chunks (id, document_id, document_version, ordinal, text, heading_path, char_start, char_end, token_count)
            VALUES (gen_random_uuid(), '{documentId}', 1, 0, 'Configure the vector databases carefully.', ARRAY['Installation guide'], 0, 41, 7)
            """);

        Assert.Equal(1L, await CountMatchesAsync(connectionString, "database configuration"));
        Assert.Equal(1L, await CountMatchesAsync(connectionString, "installing"));
        Assert.Equal(0L, await CountMatchesAsync(connectionString, "kubernetes"));
    }

    [Fact]
    public async Task TheSameContentTwiceInOneCollectionIsRejectedButAllowedInAnother()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync();
        await InsertDocumentAsync(connectionString, DefaultCollection, Sha256(7));

        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => InsertDocumentAsync(connectionString, DefaultCollection, Sha256(7)));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
        Assert.Equal("documents_collection_content_key", duplicate.ConstraintName);

        await Sql.ExecuteAsync(connectionString, "INSERT INTO collections (name) VALUES ('other')");
        await InsertDocumentAsync(connectionString, "(SELECT id FROM collections WHERE name = 'other')", Sha256(7));
        Assert.Equal(2L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM documents"));
    }

    [Fact]
    public async Task StatusColumnsAcceptOnlyKnownValues()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync();
        var documentId = await InsertDocumentAsync(connectionString, DefaultCollection, Sha256(2));

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            Sql.ExecuteAsync(connectionString, $"UPDATE documents SET status = 'done' WHERE id = '{documentId}'"));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
    }

    [Fact]
    public async Task UserNamesAreUniqueRegardlessOfCase()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync();
        await Sql.ExecuteAsync(connectionString, "INSERT INTO users (user_name, password_hash, role) VALUES ('Alice', 'h', 'admin')");

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            Sql.ExecuteAsync(connectionString, "INSERT INTO users (user_name, password_hash, role) VALUES ('alice', 'h', 'reader')"));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
    }

    [Fact]
    public async Task DeletingADocumentDeletesItsContentChunksAndJobs()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync();
        var documentId = await InsertDocumentAsync(connectionString, DefaultCollection, Sha256(3));
        await Sql.ExecuteAsync(connectionString, $"""
            INSERT INTO document_contents (document_id, content) VALUES ('{documentId}', '\x0102');
            INSERT INTO chunks (id, document_id, document_version, ordinal, text, char_start, char_end, token_count)
            VALUES (gen_random_uuid(), '{documentId}', 1, 0, 'text', 0, 4, 1);
            INSERT INTO jobs (document_id, kind) VALUES ('{documentId}', 'ingest');
            DELETE FROM documents WHERE id = '{documentId}';
            """);

        Assert.Equal(0L, await Sql.ScalarAsync<long>(connectionString,
            "SELECT (SELECT count(*) FROM document_contents) + (SELECT count(*) FROM chunks) + (SELECT count(*) FROM jobs)"));
    }

    private const string DefaultCollection = "(SELECT id FROM collections WHERE name = 'default')";

    private static async Task<Guid> InsertDocumentAsync(string connectionString, string collectionSql, byte[] sha256)
    {
        await using var connection = await Sql.OpenAsync(connectionString);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO documents (collection_id, title, file_name, content_type, size_bytes, content_sha256)
            VALUES ({collectionSql}, 'Guide', 'guide.md', 'text/markdown', 2, $1)
            RETURNING id
            """, connection);
        command.Parameters.Add(new() { Value = sha256 });
        return (Guid)(await command.ExecuteScalarAsync().WaitAsync(Timeout))!;
    }

    private static Task<long> CountMatchesAsync(string connectionString, string query) =>
        Sql.ScalarAsync<long>(connectionString, $"SELECT count(*) FROM chunks WHERE tsv @@ plainto_tsquery('english', '{query}')");

    private static byte[] Sha256(byte seed) => System.Security.Cryptography.SHA256.HashData([seed]);
}
