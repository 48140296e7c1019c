namespace Rag.Core.Documents;

public static class DocumentStatus
{
    public const string Queued = "queued";
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";

    /// <summary>Not stored: what an upload answers when the same bytes are already in the collection.</summary>
    public const string Duplicate = "duplicate";
}

/// <summary>An uploaded file whose type has been decided from its content, for a collection the uploader may write to.</summary>
public sealed record NewDocument(
    Guid CollectionId,
    string CollectionName,
    string FileName,
    string Title,
    string ContentType,
    ReadOnlyMemory<byte> Content,
    IReadOnlyList<string> Tags,
    Guid? CreatedBy);

/// <param name="JobId">The job that will index the document; for a duplicate, the existing document's latest job.</param>
public sealed record AcceptedDocument(Guid DocumentId, Guid? JobId, string Status, bool IsDuplicate);

public sealed record DocumentRecord(
    Guid Id,
    Guid CollectionId,
    string CollectionName,
    string Title,
    string FileName,
    string ContentType,
    long SizeBytes,
    IReadOnlyList<string> Tags,
    string Status,
    int Version,
    string? Error,
    int ChunkCount,
    Guid? LatestJobId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record DocumentQuery(
    string? CollectionName = null,
    string? Status = null,
    string? Tag = null,
    int Page = 1,
    int PageSize = 20,
    IReadOnlyList<Guid>? AllowedCollectionIds = null);

public sealed record DocumentPage(IReadOnlyList<DocumentRecord> Items, int Page, int PageSize, long Total);

/// <summary>What a worker needs to process one version of a document.</summary>
public sealed record DocumentForIndexing(
    Guid Id,
    Guid CollectionId,
    int Version,
    string Title,
    string FileName,
    string ContentType,
    IReadOnlyList<string> Tags,
    int ChunkSizeTokens,
    int ChunkOverlapTokens,
    byte[] Content);
