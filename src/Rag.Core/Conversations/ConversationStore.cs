using Npgsql;
using NpgsqlTypes;

namespace Rag.Core.Conversations;

/// <summary>
/// Conversations and their messages in PostgreSQL. Every read and write is scoped to an owner: a conversation is
/// visible only to the owner it was created for (null: anonymous, until sign-in exists), and any other caller
/// is told it does not exist.
/// </summary>
public sealed class ConversationStore(NpgsqlDataSource dataSource)
{
    public const int MaxTitleLength = 200;

    public async Task<ConversationSummary> CreateAsync(Guid? ownerId, string title, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(title);
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO conversations (id, owner_user_id, title) VALUES ($1, $2, $3)
            RETURNING id, title, collection_id, created_at, updated_at
            """);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)ownerId ?? DBNull.Value });
        command.Parameters.Add(new() { Value = Truncate(title) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return ReadSummary(reader);
    }

    /// <summary>The owner's conversations, most recently active first.</summary>
    public async Task<IReadOnlyList<ConversationSummary>> ListAsync(Guid? ownerId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var command = dataSource.CreateCommand(
            """
            SELECT id, title, collection_id, created_at, updated_at FROM conversations
            WHERE owner_user_id IS NOT DISTINCT FROM $1
            ORDER BY updated_at DESC, id DESC
            LIMIT $2
            """);
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)ownerId ?? DBNull.Value });
        command.Parameters.Add(new() { Value = limit });
        var conversations = new List<ConversationSummary>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            conversations.Add(ReadSummary(reader));
        }

        return conversations;
    }

    /// <summary>The conversation with its messages in order; null when it does not exist or belongs to someone else.</summary>
    public async Task<Conversation?> GetAsync(Guid id, Guid? ownerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        ConversationSummary summary;
        await using (var command = new NpgsqlCommand(
            "SELECT id, title, collection_id, created_at, updated_at FROM conversations WHERE id = $1 AND owner_user_id IS NOT DISTINCT FROM $2",
            connection))
        {
            command.Parameters.Add(new() { Value = id });
            command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)ownerId ?? DBNull.Value });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            summary = ReadSummary(reader);
        }

        await using var messages = new NpgsqlCommand(
            "SELECT id, role, content, sources::text, created_at FROM messages WHERE conversation_id = $1 ORDER BY created_at, id", connection);
        messages.Parameters.Add(new() { Value = id });
        var list = new List<ConversationMessage>();
        await using (var reader = await messages.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                list.Add(new ConversationMessage(
                    reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4)));
            }
        }

        return new Conversation(summary, list);
    }

    /// <summary>Appends a question and its answer in one transaction; false when the conversation is gone.</summary>
    public async Task<bool> AddTurnAsync(
        Guid conversationId, string question, string answer, string sourcesJson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(answer);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var touch = new NpgsqlCommand("UPDATE conversations SET updated_at = now() WHERE id = $1", connection, transaction))
        {
            touch.Parameters.Add(new() { Value = conversationId });
            if (await touch.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        // clock_timestamp(), unlike now(), advances between the two rows: the answer sorts after its question.
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO messages (id, conversation_id, role, content, sources, created_at)
            VALUES ($1, $3, 'user', $4, NULL, clock_timestamp()), ($2, $3, 'assistant', $5, $6::jsonb, clock_timestamp())
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = Guid.CreateVersion7() });
            insert.Parameters.Add(new() { Value = Guid.CreateVersion7() });
            insert.Parameters.Add(new() { Value = conversationId });
            insert.Parameters.Add(new() { Value = question });
            insert.Parameters.Add(new() { Value = answer });
            insert.Parameters.Add(new() { Value = sourcesJson });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<ConversationSummary?> RenameAsync(Guid id, Guid? ownerId, string title, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(title);
        await using var command = dataSource.CreateCommand(
            """
            UPDATE conversations SET title = $3, updated_at = now()
            WHERE id = $1 AND owner_user_id IS NOT DISTINCT FROM $2
            RETURNING id, title, collection_id, created_at, updated_at
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)ownerId ?? DBNull.Value });
        command.Parameters.Add(new() { Value = Truncate(title) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadSummary(reader) : null;
    }

    public async Task<bool> DeleteAsync(Guid id, Guid? ownerId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM conversations WHERE id = $1 AND owner_user_id IS NOT DISTINCT FROM $2");
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)ownerId ?? DBNull.Value });
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private static string Truncate(string title)
    {
        var trimmed = title.ReplaceLineEndings(" ").Trim();
        return trimmed.Length <= MaxTitleLength ? trimmed : trimmed[..(MaxTitleLength - 1)] + "…";
    }

    private static ConversationSummary ReadSummary(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2),
        reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4));
}
