using Rag.Core.Documents;

namespace Rag.Api.Documents;

/// <param name="Status">queued, duplicate, or rejected (then <see cref="Error"/> says why).</param>
public sealed record UploadedFile(string FileName, Guid? DocumentId, Guid? JobId, string Status, string? ContentType, UploadError? Error);

public sealed record UploadError(int Status, string Title, string Detail);

public sealed record UploadResponse(IReadOnlyList<UploadedFile> Documents);

public sealed record DocumentResponse(
    Guid Id,
    string Collection,
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

public sealed record DocumentPageResponse(IReadOnlyList<DocumentResponse> Items, int Page, int PageSize, long Total);

public sealed record ReindexResponse(Guid DocumentId, Guid JobId);

internal static class DocumentMappings
{
    public static DocumentResponse ToResponse(this DocumentRecord document) => new(
        document.Id, document.CollectionName, document.Title, document.FileName, document.ContentType, document.SizeBytes,
        document.Tags, document.Status, document.Version, document.Error, document.ChunkCount, document.LatestJobId,
        document.CreatedAt, document.UpdatedAt);
}
