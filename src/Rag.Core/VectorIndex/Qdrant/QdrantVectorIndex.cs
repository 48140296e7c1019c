using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rag.Core.VectorIndex.Qdrant;

/// <summary>
/// <see cref="IVectorIndex"/> over Qdrant's REST API: one collection of cosine vectors whose point ids are the
/// chunk ids, with the document, collection and tags in the payload for filtering. The embedding model and
/// dimension are kept in the collection's metadata so vectors of another model are refused, not mixed.
/// </summary>
internal sealed partial class QdrantVectorIndex : ISharedVectorIndex, IQdrantSnapshots
{
    internal const string Kind = "qdrant";
    internal const string ModelMetadataKey = "rag_embedding_model";
    internal const string DimensionMetadataKey = "rag_embedding_dimension";
    internal const string DocumentIdField = "document_id";
    internal const string CollectionIdField = "collection_id";
    internal const string TagsField = "tags";

    // Payload indexes make filtered search fast; ids are indexed as uuid, free-form tags as keywords.
    private static readonly (string Field, string Schema)[] PayloadIndexes =
        [(CollectionIdField, "uuid"), (DocumentIdField, "uuid"), (TagsField, "keyword")];

    private readonly QdrantRestClient _qdrant;
    private readonly QdrantOptions _options;
    private readonly ILogger<QdrantVectorIndex> _logger;
    private readonly string _collectionPath;
    private volatile VectorIndexDescription _description;

    public QdrantVectorIndex(QdrantRestClient qdrant, IOptions<QdrantOptions> options, ILogger<QdrantVectorIndex> logger)
    {
        ArgumentNullException.ThrowIfNull(qdrant);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _qdrant = qdrant;
        _options = options.Value;
        _logger = logger;
        _collectionPath = "/collections/" + Uri.EscapeDataString(_options.CollectionName);
        _description = new VectorIndexDescription(Kind, null, null);
    }

    public VectorIndexDescription Describe() => _description;

    public async Task EnsureCreatedAsync(string model, int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);

        var info = await _qdrant.SendOrNotFoundAsync(HttpMethod.Get, _collectionPath, writeBody: null, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            info = await CreateCollectionAsync(model, dimension, cancellationToken).ConfigureAwait(false);
        }

        await CheckCollectionAsync(info.Value, model, dimension, cancellationToken).ConfigureAwait(false);
        await EnsurePayloadIndexesAsync(info.Value, cancellationToken).ConfigureAwait(false);
        _description = new VectorIndexDescription(Kind, model, dimension);
    }

    public async Task ResetAsync(string model, int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        await _qdrant.SendOrNotFoundAsync(HttpMethod.Delete, _collectionPath, writeBody: null, cancellationToken).ConfigureAwait(false);
        _description = new VectorIndexDescription(Kind, null, null);
        await EnsureCreatedAsync(model, dimension, cancellationToken).ConfigureAwait(false);
    }

    public async Task ReplaceDocumentAsync(Guid documentId, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(points);
        var dimension = _description.Dimension;
        foreach (var point in points)
        {
            if (point.DocumentId != documentId)
            {
                throw new ArgumentException($"Point {point.ChunkId} belongs to document {point.DocumentId}, not {documentId}.", nameof(points));
            }

            if (dimension is not null && point.Vector.Length != dimension)
            {
                throw new VectorIndexMismatchException(
                    $"Point {point.ChunkId} has {point.Vector.Length} dimensions; the index holds {dimension}.");
            }
        }

        // Upsert first, then remove what the new version no longer has: a reader never sees the document vanish.
        for (var start = 0; start < points.Count; start += _options.UpsertBatchSize)
        {
            var count = Math.Min(_options.UpsertBatchSize, points.Count - start);
            await _qdrant.SendAsync(HttpMethod.Put, _collectionPath + "/points?wait=true",
                writer => WriteUpsert(writer, points, start, count), cancellationToken).ConfigureAwait(false);
        }

        await _qdrant.SendAsync(HttpMethod.Post, _collectionPath + "/points/delete?wait=true",
            writer => WriteDeleteStalePoints(writer, documentId, points), cancellationToken).ConfigureAwait(false);
        Log.DocumentReplaced(_logger, documentId, points.Count);
    }

    // A collection that does not exist yet holds no points: deleting, searching and counting in it are not errors.
    public async Task DeleteDocumentAsync(Guid documentId, CancellationToken cancellationToken = default)
    {
        await _qdrant.SendOrNotFoundAsync(HttpMethod.Post, _collectionPath + "/points/delete?wait=true",
            writer => WriteDeleteStalePoints(writer, documentId, []), cancellationToken).ConfigureAwait(false);
        Log.DocumentDeleted(_logger, documentId);
    }

    public async Task<IReadOnlyList<VectorMatch>> SearchAsync(
        ReadOnlyMemory<float> vector, int limit, VectorFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (vector.IsEmpty)
        {
            throw new ArgumentException("The query vector is empty.", nameof(vector));
        }

        if (_description.Dimension is { } dimension && vector.Length != dimension)
        {
            throw new VectorIndexMismatchException($"The query vector has {vector.Length} dimensions; the index holds {dimension}.");
        }

        // An empty set allows no value at all: nothing can match, so Qdrant need not be asked.
        if (filter.CollectionIds is { Count: 0 } || filter.DocumentIds is { Count: 0 } || filter.Tags is { Count: 0 })
        {
            return [];
        }

        var result = await _qdrant.SendOrNotFoundAsync(HttpMethod.Post, _collectionPath + "/points/query",
            writer => WriteQuery(writer, vector.Span, limit, filter), cancellationToken).ConfigureAwait(false);
        if (result is null)
        {
            return [];
        }

        var points = result.Value.GetProperty("points");
        var matches = new List<VectorMatch>(points.GetArrayLength());
        foreach (var point in points.EnumerateArray())
        {
            var chunkId = point.GetProperty("id").GetGuid();
            var documentId = point.GetProperty("payload").GetProperty(DocumentIdField).GetGuid();
            matches.Add(new VectorMatch(chunkId, documentId, point.GetProperty("score").GetSingle()));
        }

        return matches;
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        var result = await _qdrant.SendOrNotFoundAsync(HttpMethod.Post, _collectionPath + "/points/count",
            writer =>
            {
                writer.WriteStartObject();
                writer.WriteBoolean("exact", true);
                writer.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
        return result?.GetProperty("count").GetInt64() ?? 0;
    }

    public async Task<QdrantSnapshot> CreateSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var result = await _qdrant.SendAsync(HttpMethod.Post, _collectionPath + "/snapshots?wait=true", writeBody: null, cancellationToken)
            .ConfigureAwait(false);
        var snapshot = ReadSnapshot(result);
        Log.SnapshotCreated(_logger, _options.CollectionName, snapshot.Name, snapshot.Size);
        return snapshot;
    }

    public async Task<IReadOnlyList<QdrantSnapshot>> ListSnapshotsAsync(CancellationToken cancellationToken = default)
    {
        var result = await _qdrant.SendAsync(HttpMethod.Get, _collectionPath + "/snapshots", writeBody: null, cancellationToken)
            .ConfigureAwait(false);
        return [.. result.EnumerateArray().Select(ReadSnapshot)];
    }

    private async Task<JsonElement> CreateCollectionAsync(string model, int dimension, CancellationToken cancellationToken)
    {
        try
        {
            await _qdrant.SendAsync(HttpMethod.Put, _collectionPath, writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartObject("vectors");
                writer.WriteNumber("size", dimension);
                writer.WriteString("distance", "Cosine");
                writer.WriteEndObject();
                writer.WriteStartObject("metadata");
                writer.WriteString(ModelMetadataKey, model);
                writer.WriteNumber(DimensionMetadataKey, dimension);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
            Log.CollectionCreated(_logger, _options.CollectionName, model, dimension);
        }
        catch (QdrantException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            // Another replica created it between our read and our create: check theirs like any existing one.
        }

        return await _qdrant.SendAsync(HttpMethod.Get, _collectionPath, writeBody: null, cancellationToken).ConfigureAwait(false);
    }

    private async Task CheckCollectionAsync(JsonElement info, string model, int dimension, CancellationToken cancellationToken)
    {
        var config = info.GetProperty("config");
        var vectors = config.GetProperty("params").GetProperty("vectors");
        if (!vectors.TryGetProperty("size", out var sizeElement) || !vectors.TryGetProperty("distance", out var distanceElement))
        {
            throw Mismatch($"Collection '{_options.CollectionName}' uses named vectors; Rag needs one unnamed cosine vector.");
        }

        var size = sizeElement.GetInt64();
        var distance = distanceElement.GetString();
        if (size != dimension || distance != "Cosine")
        {
            throw Mismatch($"Collection '{_options.CollectionName}' holds {distance} vectors of {size} dimensions; " +
                $"model '{model}' needs Cosine vectors of {dimension}.");
        }

        var recordedModel = config.TryGetProperty("metadata", out var metadata)
            && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty(ModelMetadataKey, out var modelElement)
            && modelElement.ValueKind == JsonValueKind.String
                ? modelElement.GetString()
                : null;

        if (recordedModel is null)
        {
            // A collection made outside Rag: adopt it only while it is empty, since its vectors' model is unknown.
            if (await CountAsync(cancellationToken).ConfigureAwait(false) > 0)
            {
                throw Mismatch($"Collection '{_options.CollectionName}' holds points of an unrecorded embedding model.");
            }

            await _qdrant.SendAsync(HttpMethod.Patch, _collectionPath, writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartObject("metadata");
                writer.WriteString(ModelMetadataKey, model);
                writer.WriteNumber(DimensionMetadataKey, dimension);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
        }
        else if (!string.Equals(recordedModel, model, StringComparison.Ordinal))
        {
            throw Mismatch($"Collection '{_options.CollectionName}' holds vectors of model '{recordedModel}', not '{model}'.");
        }
    }

    private async Task EnsurePayloadIndexesAsync(JsonElement info, CancellationToken cancellationToken)
    {
        var existing = info.TryGetProperty("payload_schema", out var schema) && schema.ValueKind == JsonValueKind.Object
            ? schema.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal)
            : [];

        foreach (var (field, fieldSchema) in PayloadIndexes.Where(index => !existing.Contains(index.Field)))
        {
            await _qdrant.SendAsync(HttpMethod.Put, _collectionPath + "/index?wait=true", writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("field_name", field);
                writer.WriteString("field_schema", fieldSchema);
                writer.WriteEndObject();
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    private VectorIndexMismatchException Mismatch(string message)
    {
        Log.Mismatch(_logger, message);
        return new VectorIndexMismatchException(message + " Reindex into a new collection to change models.");
    }

    private static void WriteUpsert(Utf8JsonWriter writer, IReadOnlyList<VectorPoint> points, int start, int count)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("points");
        for (var i = start; i < start + count; i++)
        {
            var point = points[i];
            writer.WriteStartObject();
            writer.WriteString("id", point.ChunkId);
            writer.WriteStartArray("vector");
            foreach (var value in point.Vector.Span)
            {
                writer.WriteNumberValue(value);
            }

            writer.WriteEndArray();
            writer.WriteStartObject("payload");
            writer.WriteString(DocumentIdField, point.DocumentId);
            writer.WriteString(CollectionIdField, point.CollectionId);
            writer.WriteStartArray(TagsField);
            foreach (var tag in point.Tags)
            {
                writer.WriteStringValue(tag);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    // Deletes the document's points whose ids are not in keep; with nothing to keep, the whole document.
    private static void WriteDeleteStalePoints(Utf8JsonWriter writer, Guid documentId, IReadOnlyList<VectorPoint> keep)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("filter");
        writer.WriteStartArray("must");
        writer.WriteStartObject();
        writer.WriteString("key", DocumentIdField);
        writer.WriteStartObject("match");
        writer.WriteString("value", documentId);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        if (keep.Count > 0)
        {
            writer.WriteStartArray("must_not");
            writer.WriteStartObject();
            writer.WriteStartArray("has_id");
            foreach (var id in keep.Select(p => p.ChunkId).Distinct())
            {
                writer.WriteStringValue(id);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteQuery(Utf8JsonWriter writer, ReadOnlySpan<float> vector, int limit, VectorFilter filter)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("query");
        foreach (var value in vector)
        {
            writer.WriteNumberValue(value);
        }

        writer.WriteEndArray();
        writer.WriteNumber("limit", limit);
        writer.WriteStartArray("with_payload");
        writer.WriteStringValue(DocumentIdField);
        writer.WriteEndArray();

        var conditions = new List<(string Field, IEnumerable<string> Values)>();
        if (filter.CollectionIds is not null)
        {
            conditions.Add((CollectionIdField, filter.CollectionIds.Select(id => id.ToString("D"))));
        }

        if (filter.DocumentIds is not null)
        {
            conditions.Add((DocumentIdField, filter.DocumentIds.Select(id => id.ToString("D"))));
        }

        if (filter.Tags is not null)
        {
            conditions.Add((TagsField, filter.Tags));
        }

        if (conditions.Count > 0)
        {
            writer.WriteStartObject("filter");
            writer.WriteStartArray("must");
            foreach (var (field, values) in conditions)
            {
                writer.WriteStartObject();
                writer.WriteString("key", field);
                writer.WriteStartObject("match");
                writer.WriteStartArray("any");
                // Qdrant wants the "any" values unique.
                foreach (var value in values.Distinct(StringComparer.Ordinal))
                {
                    writer.WriteStringValue(value);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static QdrantSnapshot ReadSnapshot(JsonElement snapshot)
    {
        DateTimeOffset? createdAt = null;
        // Qdrant writes creation_time without an offset; it is UTC.
        if (snapshot.TryGetProperty("creation_time", out var time) && time.ValueKind == JsonValueKind.String
            && DateTime.TryParse(time.GetString(), CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            createdAt = new DateTimeOffset(parsed, TimeSpan.Zero);
        }

        var checksum = snapshot.TryGetProperty("checksum", out var sum) && sum.ValueKind == JsonValueKind.String ? sum.GetString() : null;
        return new QdrantSnapshot(snapshot.GetProperty("name").GetString()!, snapshot.GetProperty("size").GetInt64(), createdAt, checksum);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Created Qdrant collection {Collection} for model {Model} with {Dimension} dimensions")]
        public static partial void CollectionCreated(ILogger logger, string collection, string model, int dimension);

        [LoggerMessage(2, LogLevel.Error, "Qdrant vector index mismatch: {Reason}")]
        public static partial void Mismatch(ILogger logger, string reason);

        [LoggerMessage(3, LogLevel.Debug, "Replaced the vectors of document {DocumentId} with {Count} points")]
        public static partial void DocumentReplaced(ILogger logger, Guid documentId, int count);

        [LoggerMessage(4, LogLevel.Debug, "Deleted the vectors of document {DocumentId}")]
        public static partial void DocumentDeleted(ILogger logger, Guid documentId);

        [LoggerMessage(5, LogLevel.Information, "Created snapshot {Snapshot} of Qdrant collection {Collection} ({Size} bytes)")]
        public static partial void SnapshotCreated(ILogger logger, string collection, string snapshot, long size);
    }
}
