using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rag.Tests.Contracts;

namespace Rag.Tests.VectorIndex.Qdrant;

/// <summary>
/// Qdrant's REST API as a real HTTP server on loopback, for tests (Qdrant itself cannot run here). Each request is
/// matched to an operation of the published OpenAPI document and its body and query are validated against that
/// operation's schemas; every answer is validated against the declared response schema too. Collections and points
/// live in memory; filters and cosine scores are computed, so search results are real results.
/// Every contract violation is kept in <see cref="Violations"/>: tests assert it stays empty.
/// </summary>
public sealed class QdrantDouble : IAsyncDisposable
{
    private static readonly Lazy<OpenApiContract> SharedContract = new(() => OpenApiContract.Load(SpecFiles.PathOf(SpecFiles.QdrantOpenApi)));

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly Dictionary<string, Collection> _collections = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _operationId;

    private QdrantDouble(WebApplication app, string apiKey)
    {
        _app = app;
        ApiKey = apiKey;
    }

    public static OpenApiContract Contract => SharedContract.Value;

    public string ApiKey { get; }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Aspire's form of the connection: what ConnectionStrings:qdrant_http holds.</summary>
    public string ConnectionString => $"Endpoint={Endpoint};Key={ApiKey}";

    /// <summary>When false, /readyz answers 503 as Qdrant does while its shards load.</summary>
    public bool IsReady { get; set; } = true;

    public IReadOnlyList<string> Violations => [.. _violations];

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<QdrantDouble> StartAsync(string apiKey = "test-api-key", CancellationToken cancellationToken = default)
    {
        _ = Contract;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var qdrant = new QdrantDouble(app, apiKey);
        app.Run(qdrant.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        qdrant.Endpoint = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return qdrant;
    }

    /// <summary>The points of a collection as the double holds them, for assertions.</summary>
    public IReadOnlyDictionary<string, JsonObject> PayloadsOf(string collection)
    {
        lock (_gate)
        {
            return _collections[collection].Points.ToDictionary(p => p.Key, p => (JsonObject)p.Value.Payload.DeepClone());
        }
    }

    /// <summary>Creates a collection as another tool might have, bypassing the API, to set up mismatch cases.</summary>
    public void SeedCollection(string name, int size, string distance = "Cosine")
    {
        lock (_gate)
        {
            _collections[name] = new Collection(size, distance, []);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var operation = Contract.FindOperation(request.Method, path);
        if (operation is null)
        {
            Violate($"{request.Method} {path} is not an operation of Qdrant's API");
            await WriteErrorAsync(context, null, 404, $"{request.Method} {path} does not exist");
            return;
        }

        var status = await DispatchAsync(context, operation, path);
        _requests.Enqueue(new RecordedRequest(request.Method, path, operation.OperationId, status));
    }

    private async Task<int> DispatchAsync(HttpContext context, OpenApiOperation operation, string path)
    {
        // Qdrant leaves its health endpoints open; everything else needs the key.
        if (operation.OperationId != "readyz" && context.Request.Headers["api-key"] != ApiKey)
        {
            return await WriteErrorAsync(context, operation, 401, "Must provide an API key or an Authorization bearer token");
        }

        foreach (var violation in Contract.ValidateQuery(operation, context.Request.Query.Select(q => KeyValuePair.Create(q.Key, q.Value.ToString()))))
        {
            Violate($"{operation}: {violation}");
        }

        using var body = await ReadBodyAsync(context, operation);
        if (body.Error is not null)
        {
            return await WriteErrorAsync(context, operation, 400, body.Error);
        }

        try
        {
            if (operation.OperationId == "readyz")
            {
                context.Response.StatusCode = IsReady ? 200 : 503;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync(IsReady ? "all shards are ready" : "some shards are not ready");
                return context.Response.StatusCode;
            }

            var collectionName = Uri.UnescapeDataString(operation.PathPattern.Match(path).Groups["p"].Value);
            var result = Handle(operation.OperationId, collectionName, body.Json, context.Request.Query);
            return await WriteResultAsync(context, operation, result);
        }
        catch (QdrantDoubleError error)
        {
            return await WriteErrorAsync(context, operation, error.Status, error.Message);
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or FormatException)
        {
            // A body the schema accepts but the double cannot read: a gap in the double, reported as such.
            Violate($"{operation}: the double failed on the request: {ex.Message}");
            return await WriteErrorAsync(context, operation, 500, ex.Message);
        }
    }

    private JsonNode? Handle(string operationId, string collectionName, JsonElement body, IQueryCollection query)
    {
        lock (_gate)
        {
            switch (operationId)
            {
                case "get_collection":
                    return CollectionInfo(Find(collectionName));
                case "collection_exists":
                    return new JsonObject { ["exists"] = _collections.ContainsKey(collectionName) };
                case "create_collection":
                    CreateCollection(collectionName, body);
                    return true;
                case "delete_collection":
                    return _collections.Remove(collectionName);
                case "update_collection":
                    UpdateCollection(Find(collectionName), body);
                    return true;
                case "create_field_index":
                    var collection = Find(collectionName);
                    collection.PayloadIndexes[body.GetProperty("field_name").GetString()!] = body.GetProperty("field_schema").GetString()!;
                    return UpdateResult(query);
                case "upsert_points":
                    Upsert(Find(collectionName), body);
                    return UpdateResult(query);
                case "delete_points":
                    Delete(Find(collectionName), body);
                    return UpdateResult(query);
                case "count_points":
                    var counted = Find(collectionName);
                    var filter = OptionalMember(body, "filter");
                    return new JsonObject { ["count"] = counted.Points.Values.Count(p => filter is null || Matches(filter.Value, p)) };
                case "query_points":
                    return Query(Find(collectionName), body);
                case "create_snapshot":
                    return CreateSnapshot(collectionName, Find(collectionName));
                case "list_snapshots":
                    return new JsonArray([.. Find(collectionName).Snapshots.Select(s => s.DeepClone())]);
                default:
                    throw Unsupported($"operation {operationId}");
            }
        }
    }

    private void CreateCollection(string name, JsonElement body)
    {
        if (_collections.ContainsKey(name))
        {
            throw new QdrantDoubleError(409, $"Wrong input: Collection `{name}` already exists!");
        }

        var vectors = body.GetProperty("vectors");
        if (!vectors.TryGetProperty("size", out var size))
        {
            throw Unsupported("named vectors");
        }

        var metadata = OptionalMember(body, "metadata") is { } given ? JsonNode.Parse(given.GetRawText())!.AsObject() : [];
        _collections[name] = new Collection(size.GetInt32(), vectors.GetProperty("distance").GetString()!, metadata);
    }

    private static void UpdateCollection(Collection collection, JsonElement body)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (property.Name != "metadata")
            {
                throw Unsupported($"updating {property.Name}");
            }

            // Qdrant merges metadata: given keys replace, null removes.
            foreach (var entry in property.Value.EnumerateObject())
            {
                if (entry.Value.ValueKind == JsonValueKind.Null)
                {
                    collection.Metadata.Remove(entry.Name);
                }
                else
                {
                    collection.Metadata[entry.Name] = JsonNode.Parse(entry.Value.GetRawText());
                }
            }
        }
    }

    private void Upsert(Collection collection, JsonElement body)
    {
        if (!body.TryGetProperty("points", out var points))
        {
            throw Unsupported("the batch (columnar) upsert form");
        }

        var version = Interlocked.Increment(ref _operationId);
        var accepted = new List<(string Id, StoredPoint Point)>();
        foreach (var point in points.EnumerateArray())
        {
            var vectorElement = point.GetProperty("vector");
            if (vectorElement.ValueKind != JsonValueKind.Array || vectorElement.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
            {
                throw Unsupported("vectors other than one dense vector");
            }

            var vector = vectorElement.EnumerateArray().Select(v => v.GetSingle()).ToArray();
            if (vector.Length != collection.Size)
            {
                throw new QdrantDoubleError(400, $"Wrong input: Vector dimension error: expected dim: {collection.Size}, got {vector.Length}");
            }

            var payload = OptionalMember(point, "payload") is { } given ? JsonNode.Parse(given.GetRawText())!.AsObject() : [];
            accepted.Add((PointKey(point.GetProperty("id")), new StoredPoint(point.GetProperty("id").Clone(), vector, payload, version)));
        }

        // All or nothing, as one Qdrant operation.
        foreach (var (id, point) in accepted)
        {
            collection.Points[id] = point;
        }
    }

    private static void Delete(Collection collection, JsonElement body)
    {
        if (body.TryGetProperty("points", out var ids))
        {
            foreach (var id in ids.EnumerateArray())
            {
                collection.Points.Remove(PointKey(id));
            }

            return;
        }

        var filter = body.GetProperty("filter");
        foreach (var key in collection.Points.Where(p => Matches(filter, p.Value)).Select(p => p.Key).ToList())
        {
            collection.Points.Remove(key);
        }
    }

    private static JsonObject Query(Collection collection, JsonElement body)
    {
        var queryElement = OptionalMember(body, "query");
        if (queryElement is not { ValueKind: JsonValueKind.Array } || queryElement.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
        {
            throw Unsupported("queries other than a nearest-neighbour dense vector");
        }

        foreach (var option in new[] { "prefetch", "using", "offset", "lookup_from", "params" })
        {
            if (OptionalMember(body, option) is not null)
            {
                throw Unsupported($"query option {option}");
            }
        }

        var query = queryElement.Value.EnumerateArray().Select(v => v.GetSingle()).ToArray();
        if (query.Length != collection.Size)
        {
            throw new QdrantDoubleError(400, $"Wrong input: Vector dimension error: expected dim: {collection.Size}, got {query.Length}");
        }

        var filter = OptionalMember(body, "filter");
        var threshold = OptionalMember(body, "score_threshold")?.GetSingle();
        var limit = OptionalMember(body, "limit")?.GetInt32() ?? 10;
        var ranked = collection.Points.Values
            .Where(p => filter is null || Matches(filter.Value, p))
            .Select(p => (Point: p, Score: Cosine(query, p.Vector)))
            .Where(x => threshold is null || x.Score >= threshold)
            .OrderByDescending(x => x.Score)
            .Take(limit);

        var withPayload = OptionalMember(body, "with_payload");
        var points = new JsonArray();
        foreach (var (point, score) in ranked)
        {
            var scored = new JsonObject
            {
                ["id"] = JsonNode.Parse(point.Id.GetRawText()),
                ["version"] = point.Version,
                ["score"] = score,
            };
            if (SelectPayload(point.Payload, withPayload) is { } payload)
            {
                scored["payload"] = payload;
            }

            points.Add(scored);
        }

        return new JsonObject { ["points"] = points };
    }

    private static JsonObject? SelectPayload(JsonObject payload, JsonElement? withPayload) => withPayload switch
    {
        null or { ValueKind: JsonValueKind.False } => null,
        { ValueKind: JsonValueKind.True } => (JsonObject)payload.DeepClone(),
        { ValueKind: JsonValueKind.Array } fields => new JsonObject(fields.EnumerateArray()
            .Select(f => f.GetString()!)
            .Where(payload.ContainsKey)
            .Select(f => KeyValuePair.Create(f, payload[f]?.DeepClone()))),
        _ => throw Unsupported("payload selectors"),
    };

    private JsonObject CreateSnapshot(string collectionName, Collection collection)
    {
        var now = DateTime.UtcNow;
        var state = JsonSerializer.SerializeToUtf8Bytes(collection.Points.ToDictionary(p => p.Key, p => p.Value.Vector));
        var snapshot = new JsonObject
        {
            ["name"] = $"{collectionName}-{Interlocked.Increment(ref _operationId)}-{now:yyyy-MM-dd-HH-mm-ss}.snapshot",
            ["creation_time"] = now.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
            ["size"] = state.Length,
            ["checksum"] = Convert.ToHexStringLower(SHA256.HashData(state)),
        };
        collection.Snapshots.Add(snapshot);
        return (JsonObject)snapshot.DeepClone();
    }

    private static JsonObject CollectionInfo(Collection collection)
    {
        var payloadSchema = new JsonObject();
        foreach (var (field, type) in collection.PayloadIndexes)
        {
            payloadSchema[field] = new JsonObject
            {
                ["data_type"] = type,
                ["points"] = collection.Points.Values.Count(p => p.Payload.ContainsKey(field)),
            };
        }

        return new JsonObject
        {
            ["status"] = "green",
            ["optimizer_status"] = "ok",
            ["points_count"] = collection.Points.Count,
            ["indexed_vectors_count"] = 0,
            ["segments_count"] = 1,
            ["payload_schema"] = payloadSchema,
            ["config"] = new JsonObject
            {
                ["params"] = new JsonObject
                {
                    ["vectors"] = new JsonObject { ["size"] = collection.Size, ["distance"] = collection.Distance },
                    ["shard_number"] = 1,
                    ["replication_factor"] = 1,
                    ["write_consistency_factor"] = 1,
                    ["on_disk_payload"] = true,
                },
                ["hnsw_config"] = new JsonObject { ["m"] = 16, ["ef_construct"] = 100, ["full_scan_threshold"] = 10000 },
                ["optimizer_config"] = new JsonObject { ["default_segment_number"] = 0, ["flush_interval_sec"] = 5 },
                ["metadata"] = collection.Metadata.DeepClone(),
            },
        };
    }

    private JsonObject UpdateResult(IQueryCollection query) => new()
    {
        ["operation_id"] = Interlocked.Increment(ref _operationId),
        // Qdrant acknowledges before applying unless asked to wait; the double applies at once either way.
        ["status"] = query["wait"] == "true" ? "completed" : "acknowledged",
    };

    private Collection Find(string name) =>
        _collections.TryGetValue(name, out var collection)
            ? collection
            : throw new QdrantDoubleError(404, $"Not found: Collection `{name}` doesn't exist!");

    // Filter semantics: every "must", no "must_not", and at least one "should" when any are given.
    private static bool Matches(JsonElement filter, StoredPoint point)
    {
        if (OptionalMember(filter, "min_should") is not null)
        {
            throw Unsupported("min_should");
        }

        var must = Conditions(filter, "must");
        var mustNot = Conditions(filter, "must_not");
        var should = Conditions(filter, "should");
        return must.All(c => MatchesCondition(c, point))
            && !mustNot.Any(c => MatchesCondition(c, point))
            && (should.Count == 0 || should.Any(c => MatchesCondition(c, point)));
    }

    private static List<JsonElement> Conditions(JsonElement filter, string clause) => OptionalMember(filter, clause) switch
    {
        null => [],
        { ValueKind: JsonValueKind.Array } list => [.. list.EnumerateArray()],
        { } single => [single],
    };

    private static bool MatchesCondition(JsonElement condition, StoredPoint point)
    {
        if (condition.TryGetProperty("has_id", out var ids))
        {
            var key = PointKey(point.Id);
            return ids.EnumerateArray().Any(id => PointKey(id) == key);
        }

        if (condition.TryGetProperty("key", out var keyElement))
        {
            var match = OptionalMember(condition, "match") ?? throw Unsupported("field conditions other than match");
            var values = point.Payload[keyElement.GetString()!] switch
            {
                null => [],
                JsonArray array => array.Select(v => v!.ToJsonString()).ToList(),
                JsonNode value => [value.ToJsonString()],
            };

            if (match.TryGetProperty("value", out var expected))
            {
                return values.Any(v => SameValue(v, expected.GetRawText()));
            }

            if (match.TryGetProperty("any", out var anyOf))
            {
                return anyOf.EnumerateArray().Any(e => values.Any(v => SameValue(v, e.GetRawText())));
            }

            throw Unsupported($"match {match.GetRawText()}");
        }

        if (condition.TryGetProperty("must", out _) || condition.TryGetProperty("must_not", out _) || condition.TryGetProperty("should", out _))
        {
            return Matches(condition, point);
        }

        throw Unsupported($"condition {condition.GetRawText()}");
    }

    // uuid-indexed fields compare as UUIDs, whatever their letter case; everything else as exact JSON.
    private static bool SameValue(string storedJson, string expectedJson)
    {
        if (storedJson == expectedJson)
        {
            return true;
        }

        return Guid.TryParse(storedJson.Trim('"'), out var stored) && Guid.TryParse(expectedJson.Trim('"'), out var expected) && stored == expected;
    }

    private static float Cosine(float[] a, float[] b)
    {
        double dot = 0, normA = 0, normB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            normA += a[i] * a[i];
            normB += b[i] * b[i];
        }

        return normA == 0 || normB == 0 ? 0 : (float)(dot / Math.Sqrt(normA * normB));
    }

    private static string PointKey(JsonElement id) =>
        id.ValueKind == JsonValueKind.String && Guid.TryParse(id.GetString(), out var guid) ? guid.ToString("D") : id.GetRawText();

    private static JsonElement? OptionalMember(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static QdrantDoubleError Unsupported(string what) => new(501, $"the Qdrant double does not implement {what}");

    private async Task<RequestBody> ReadBodyAsync(HttpContext context, OpenApiOperation operation)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var takesBody = operation.Definition.TryGetProperty("requestBody", out _);
        if (buffer.Length == 0)
        {
            return new RequestBody(null, takesBody ? "Empty request body" : null);
        }

        if (!takesBody)
        {
            Violate($"{operation}: sent a body to an operation that takes none");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.ToArray());
        }
        catch (JsonException ex)
        {
            Violate($"{operation}: the body is not JSON ({ex.Message})");
            return new RequestBody(null, $"Json deserialize error: {ex.Message}");
        }

        if (!takesBody)
        {
            return new RequestBody(document, null);
        }

        var violations = Contract.ValidateRequestBody(operation, document.RootElement);
        foreach (var violation in violations)
        {
            Violate($"{operation} request: {violation}");
        }

        // Qdrant rejects a body its schema does not accept, so the double does too.
        return new RequestBody(document, violations.Count > 0 ? $"Format error in JSON body: {violations[0]}" : null);
    }

    private async Task<int> WriteResultAsync(HttpContext context, OpenApiOperation operation, JsonNode? result)
    {
        var body = new JsonObject { ["result"] = result, ["status"] = "ok", ["time"] = 0.0001 };
        await WriteJsonAsync(context, operation, 200, body);
        return 200;
    }

    private async Task<int> WriteErrorAsync(HttpContext context, OpenApiOperation? operation, int status, string message)
    {
        if (status == 501)
        {
            Violate($"{operation}: {message}");
        }

        var body = new JsonObject { ["status"] = new JsonObject { ["error"] = message }, ["time"] = 0.0001 };
        await WriteJsonAsync(context, operation, status, body);
        return status;
    }

    private async Task WriteJsonAsync(HttpContext context, OpenApiOperation? operation, int status, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        if (operation is not null && status != 501)
        {
            using var document = JsonDocument.Parse(bytes);
            foreach (var violation in Contract.ValidateResponse(operation, status, document.RootElement))
            {
                Violate($"{operation} response {status}: {violation}");
            }
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private void Violate(string violation) => _violations.Enqueue(violation);

    private sealed record RequestBody(JsonDocument? Document, string? Error) : IDisposable
    {
        public JsonElement Json => Document?.RootElement ?? default;

        public void Dispose() => Document?.Dispose();
    }

    private sealed class QdrantDoubleError(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }

    private sealed class StoredPoint(JsonElement id, float[] vector, JsonObject payload, long version)
    {
        public JsonElement Id { get; } = id.Clone();

        public float[] Vector { get; } = vector;

        public JsonObject Payload { get; } = payload;

        public long Version { get; } = version;
    }

    private sealed class Collection(int size, string distance, JsonObject metadata)
    {
        public int Size { get; } = size;

        public string Distance { get; } = distance;

        public JsonObject Metadata { get; } = metadata;

        public Dictionary<string, string> PayloadIndexes { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, StoredPoint> Points { get; } = new(StringComparer.Ordinal);

        public List<JsonObject> Snapshots { get; } = [];
    }
}

public sealed record RecordedRequest(string Method, string Path, string OperationId, int Status);
