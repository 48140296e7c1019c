using Npgsql;
using NpgsqlTypes;
using Rag.Core.Storage;

namespace Rag.Core.Retrieval;

/// <summary>Passages read from PostgreSQL: one round trip per search, with the vector index in Qdrant.</summary>
public sealed class PostgresPassageSource(NpgsqlDataSource dataSource) : IPassageSource
{
    public async Task<IReadOnlyDictionary<Guid, LoadedPassage>> LoadAsync(
        IReadOnlyList<Guid> chunkIds, IReadOnlySet<Guid> embeddingsOf, SearchFilters filters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunkIds);
        ArgumentNullException.ThrowIfNull(embeddingsOf);
        ArgumentNullException.ThrowIfNull(filters);

        // A function (migration 0006) whose plan PostgreSQL keeps, rather than a statement it would plan on every search.
        await using var command = dataSource.CreateCommand("SELECT * FROM search_passages($1, $2, $3, $4, $5)");
        command.Parameters.Add(new() { Value = chunkIds.ToArray() });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = (object?)filters.ContentTypes?.ToArray() ?? DBNull.Value });
        // Npgsql sends timestamptz in UTC only; a bound written with another offset names the same instant in UTC.
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)filters.From?.ToUniversalTime() ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)filters.To?.ToUniversalTime() ?? DBNull.Value });
        command.Parameters.Add(new() { Value = embeddingsOf.ToArray() });
        var passages = new Dictionary<Guid, LoadedPassage>(chunkIds.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            passages[reader.GetGuid(0)] = new LoadedPassage(
                new SearchHit(
                    reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
                    reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.GetString(5), 0, null, []),
                EmbeddingColumn.Read(reader, 6));
        }

        return passages;
    }
}
