using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Rag.Api.Auth;
using Rag.Core.Identity;
using Rag.Core.Documents;
using Rag.Core.Extraction.Detection;
using Rag.Core.Jobs;
using Rag.Core.Redis;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;

namespace Rag.Api.Documents;

public static partial class DocumentsApi
{
    // Larger than MultipartReader's 4 KB default: fewer, longer boundary scans over each file.
    private const int MultipartReaderBufferSize = 16 * 1024;

    public static RouteGroupBuilder MapDocumentsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/documents").WithTags("Documents");
        group.MapPost("/", UploadAsync)
            .WithName("UploadDocuments")
            .WithSummary("Upload one or more files (multipart: files, optional collection and tags) for indexing.")
            .DisableAntiforgery()
            .AllowLargeRequestBody()
            .RequireEditor()
            .Accepts<IFormFile>("multipart/form-data");
        group.MapGet("/", ListAsync).WithName("ListDocuments").WithSummary("Documents, newest first, filtered by collection, status and tag.");
        group.MapGet("/{id:guid}", GetAsync).WithName("GetDocument");
        group.MapDelete("/{id:guid}", DeleteAsync).RequireEditor().WithName("DeleteDocument").WithSummary("Deletes the document, its chunks, vectors and bytes.");
        group.MapPost("/{id:guid}/reindex", ReindexAsync).RequireEditor().WithName("ReindexDocument").WithSummary("Queues a new job that indexes the same bytes again.");
        return group;
    }

    public static async Task<Results<Accepted<UploadResponse>, ProblemHttpResult>> UploadAsync(
        HttpContext context,
        DocumentStore documents,
        CollectionAccessStore access,
        AuditTrail audit,
        JobQueue queue,
        IOptions<UploadOptions> uploadOptions,
        IOptions<JobQueueOptions> jobOptions,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var limits = uploadOptions.Value;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limits.MaxRequestBytes;
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Expected a multipart upload",
                "Send the files as multipart/form-data, each in a part named 'files'.");
        }

        var files = new List<(string FileName, RentedContent? Content, UploadError? Error)>();
        try
        {
            return await AcceptAsync(context, boundary, files, documents, access, audit, queue, limits, jobOptions.Value, loggerFactory, cancellationToken);
        }
        finally
        {
            foreach (var file in files)
            {
                file.Content?.Dispose();
            }
        }
    }

    // Fills `files` as it reads them, so that the caller returns their buffers however this ends.
    private static async Task<Results<Accepted<UploadResponse>, ProblemHttpResult>> AcceptAsync(
        HttpContext context,
        string boundary,
        List<(string FileName, RentedContent? Content, UploadError? Error)> files,
        DocumentStore documents,
        CollectionAccessStore access,
        AuditTrail audit,
        JobQueue queue,
        UploadOptions limits,
        JobQueueOptions jobOptions,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var reader = new MultipartReader(boundary, context.Request.Body, MultipartReaderBufferSize);
        var collection = "default";
        var tags = new List<string>();
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }

            if (disposition.IsFileDisposition())
            {
                if (files.Count == limits.MaxFilesPerRequest)
                {
                    return Problem(StatusCodes.Status413PayloadTooLarge, "Too many files",
                        $"At most {limits.MaxFilesPerRequest} files can be uploaded in one request.");
                }

                var fileName = SafeFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value);
                var content = await RentedContent.ReadAsync(section.Body, limits.MaxFileBytes, cancellationToken);
                files.Add(content is null
                    ? (fileName, null, new UploadError(StatusCodes.Status413PayloadTooLarge, "File too large",
                        $"'{fileName}' is larger than the limit of {limits.MaxFileBytes / (1024 * 1024.0):0.#} MB."))
                    : (fileName, content, null));
            }
            else if (disposition.IsFormDisposition())
            {
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                var value = (await new StreamReader(section.Body).ReadToEndAsync(cancellationToken)).Trim();
                switch (name)
                {
                    case "collection" when value.Length > 0:
                        if (!CollectionName().IsMatch(value))
                        {
                            return Problem(StatusCodes.Status400BadRequest, "Invalid collection name",
                                "A collection name has 1 to 63 letters, digits, '-' or '_', starting with a letter or digit.");
                        }

                        collection = value.ToLowerInvariant();
                        break;
                    case "tags":
                        tags.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                        break;
                }
            }
        }

        if (files.Count == 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "No file", "The upload contained no file part.");
        }

        if (tags.Count > 32 || tags.Any(t => t.Length > 64))
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid tags", "At most 32 tags of at most 64 characters each.");
        }

        var caller = context.GetCaller();
        if (await access.GetWritableCollectionAsync(caller, collection, cancellationToken) is not { } collectionId)
        {
            return Problem(StatusCodes.Status403Forbidden, "Forbidden", $"You may not add documents to the collection '{collection}'.");
        }

        var logger = loggerFactory.CreateLogger(typeof(DocumentsApi));
        var traceParent = Activity.Current?.Id;
        var auditSource = audit.SourceOf(context);
        var results = new List<UploadedFile>(files.Count);
        foreach (var (fileName, content, tooLarge) in files)
        {
            if (content is null)
            {
                results.Add(new UploadedFile(fileName, null, null, "rejected", null, tooLarge));
                continue;
            }

            var detection = ContentTypeDetector.Detect(fileName, content.Memory.Span);
            if (detection.Outcome != DetectionOutcome.Supported)
            {
                var error = detection.Outcome == DetectionOutcome.Empty
                    ? new UploadError(StatusCodes.Status400BadRequest, "Empty file", $"'{fileName}' is empty.")
                    : new UploadError(StatusCodes.Status415UnsupportedMediaType, "Unsupported file type", $"'{fileName}': {detection.Reason}");
                results.Add(new UploadedFile(fileName, null, null, "rejected", null, error));
                continue;
            }

            var accepted = await documents.AddAsync(
                new NewDocument(collectionId, collection, fileName, Path.GetFileNameWithoutExtension(fileName), detection.ContentType!, content.Memory, tags, caller.UserId),
                jobOptions.MaxAttempts,
                traceParent,
                auditSource,
                cancellationToken);
            if (!accepted.IsDuplicate)
            {
                await DispatchAsync(queue, accepted.JobId!.Value, traceParent, logger, cancellationToken);
            }

            results.Add(new UploadedFile(fileName, accepted.DocumentId, accepted.JobId, accepted.Status, detection.ContentType, null));
        }

        if (results.All(r => r.Error is not null))
        {
            // Nothing was accepted: the request as a whole failed, with the reason of each file.
            var first = results[0].Error!;
            var status = results.All(r => r.Error!.Status == first.Status) ? first.Status : StatusCodes.Status400BadRequest;
            return TypedResults.Problem(
                title: results.Count == 1 ? first.Title : "No file was accepted",
                detail: string.Join(" ", results.Select(r => r.Error!.Detail)),
                statusCode: status,
                extensions: new Dictionary<string, object?> { ["files"] = results });
        }

        return TypedResults.Accepted((string?)null, new UploadResponse(results));
    }

    public static async Task<Ok<DocumentPageResponse>> ListAsync(
        HttpContext context,
        DocumentStore documents,
        CollectionAccessStore access,
        string? collection,
        string? status,
        string? tag,
        int? page,
        [FromQuery(Name = "page_size")] int? pageSize,
        CancellationToken cancellationToken)
    {
        var allowed = await access.GetAllowedAsync(context.GetCaller(), CollectionPermission.Read, cancellationToken);
        var query = new DocumentQuery(collection, status, tag, Math.Max(1, page ?? 1), Math.Clamp(pageSize ?? 20, 1, 100), allowed);
        var result = await documents.ListAsync(query, cancellationToken);
        return TypedResults.Ok(new DocumentPageResponse([.. result.Items.Select(d => d.ToResponse())], result.Page, result.PageSize, result.Total));
    }

    public static async Task<Results<Ok<DocumentResponse>, NotFound>> GetAsync(
        Guid id, HttpContext context, DocumentStore documents, CollectionAccessStore access, CancellationToken cancellationToken) =>
        await FindVisibleAsync(id, context.GetCaller(), documents, access, cancellationToken) is { } document
            ? TypedResults.Ok(document.ToResponse())
            : TypedResults.NotFound();

    /// <summary>The document if the caller may read its collection; to everyone else it does not exist.</summary>
    public static async Task<DocumentRecord?> FindVisibleAsync(
        Guid id, Caller caller, DocumentStore documents, CollectionAccessStore access, CancellationToken cancellationToken) =>
        await documents.GetAsync(id, cancellationToken) is { } document
        && await access.CanAccessAsync(caller, document.CollectionId, CollectionPermission.Read, cancellationToken)
            ? document
            : null;

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteAsync(
        Guid id,
        HttpContext context,
        DocumentStore documents,
        CollectionAccessStore access,
        AuditTrail audit,
        IndexEvents indexEvents,
        IServiceProvider services,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        if (await CheckWritableAsync(id, context.GetCaller(), documents, access, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        if (!await documents.DeleteAsync(id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        // The rows are gone: what follows must happen even if the caller has gone too, or the document's text would
        // stay searchable until the next reconciliation.
        await audit.WriteAsync(context, "document.deleted", id.ToString());

        // Vectors are derived data, removed now and in any case on the next reconciliation. This replica's in-process
        // indexes and passages let go at once too; other replicas do on the index event.
        if (services.GetService<ISharedVectorIndex>() is { } sharedIndex)
        {
            await sharedIndex.DeleteDocumentAsync(id, CancellationToken.None);
        }

        if (services.GetService<InProcessIndexSynchronizer>() is { } inProcessIndexes)
        {
            await inProcessIndexes.ForgetDocumentAsync(id);
        }

        try
        {
            await indexEvents.PublishChangedAsync(id, CancellationToken.None);
        }
        catch (RedisException error)
        {
            Log.NotifyFailed(loggerFactory.CreateLogger(typeof(DocumentsApi)), id, error.Message);
        }

        return TypedResults.NoContent();
    }

    public static async Task<Results<Accepted<ReindexResponse>, NotFound, ProblemHttpResult>> ReindexAsync(
        Guid id,
        HttpContext context,
        DocumentStore documents,
        CollectionAccessStore access,
        JobQueue queue,
        IOptions<JobQueueOptions> jobOptions,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        if (await CheckWritableAsync(id, context.GetCaller(), documents, access, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        var traceParent = Activity.Current?.Id;
        if (await documents.ReindexAsync(id, jobOptions.Value.MaxAttempts, traceParent, cancellationToken) is not { } jobId)
        {
            return TypedResults.NotFound();
        }

        await DispatchAsync(queue, jobId, traceParent, loggerFactory.CreateLogger(typeof(DocumentsApi)), cancellationToken);
        return TypedResults.Accepted($"/api/v1/jobs/{jobId}", new ReindexResponse(id, jobId));
    }

    // 404 when the caller cannot see the document at all, 403 when they can see but not change it.
    private static async Task<ProblemHttpResult?> CheckWritableAsync(
        Guid id, Caller caller, DocumentStore documents, CollectionAccessStore access, CancellationToken cancellationToken)
    {
        if (await FindVisibleAsync(id, caller, documents, access, cancellationToken) is not { } document)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound);
        }

        return await access.CanAccessAsync(caller, document.CollectionId, CollectionPermission.Write, cancellationToken)
            ? null
            : Problem(StatusCodes.Status403Forbidden, "Forbidden", "You may read this collection but not change it.");
    }

    // The job row is committed: if Redis cannot take the message now, the worker's sweeper dispatches it later.
    private static async Task DispatchAsync(JobQueue queue, Guid jobId, string? traceParent, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await queue.DispatchAsync(jobId, traceParent, cancellationToken);
        }
        catch (RedisException error)
        {
            Log.DispatchDeferred(logger, jobId, error.Message);
        }
    }

    // A client's file name is only a label: no directories, no control characters, bounded length.
    private static string SafeFileName(string? fileName)
    {
        var name = Path.GetFileName((fileName ?? string.Empty).Replace('\\', '/'));
        name = new string([.. name.Where(c => !char.IsControl(c))]).Trim();
        if (name.Length > 255)
        {
            name = name[..255];
        }

        return name is "" or "." or ".." ? "unnamed" : name;
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(title: title, detail: detail, statusCode: status);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")]
    private static partial Regex CollectionName();

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} is stored but could not be dispatched now ({Reason}); the sweeper will dispatch it")]
        public static partial void DispatchDeferred(ILogger logger, Guid jobId, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Document {DocumentId} deleted, but replicas could not be told now ({Reason}); they reconcile periodically")]
        public static partial void NotifyFailed(ILogger logger, Guid documentId, string reason);
    }
}
