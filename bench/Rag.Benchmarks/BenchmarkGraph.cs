using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Rag.LocalHost;

namespace Rag.Benchmarks;

/// <summary>
/// The whole local graph (Redis, PostgreSQL, Api, Ingestion as real processes) in a throw-away data folder, and an
/// HTTP client for its API signed in as the bootstrap admin, as every benchmark that goes through the API uses it.
/// </summary>
internal sealed class BenchmarkGraph : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private BenchmarkGraph(LocalGraph graph)
    {
        Graph = graph;

        // Many concurrent uploaders: one connection each rather than queueing behind a small pool.
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = graph.Api.Url,
            Timeout = TimeSpan.FromMinutes(2),
        };
    }

    public LocalGraph Graph { get; }

    public HttpClient Http { get; }

    public static async Task<BenchmarkGraph> StartAsync(
        IReadOnlyDictionary<string, string?> settings, bool disableDurability, int ingestionReplicas = 1, CancellationToken cancellationToken = default)
    {
        await LocalPackages.EnsureInstalledAsync(Console.WriteLine, cancellationToken);

        // A load generator is one caller sending far more than a person would: the per-caller rate limit would measure itself.
        var environment = new Dictionary<string, string?>(settings) { ["RateLimits__PermitsPerWindow"] = "100000000" };
        var graph = await LocalGraph.StartAsync(
            new LocalGraphOptions
            {
                DataDirectory = Path.Combine(Path.GetTempPath(), "rag-bench", Guid.NewGuid().ToString("N")),
                DisableDurability = disableDurability,
                DeleteDataOnDispose = true,
                IngestionReplicas = ingestionReplicas,
                AdditionalEnvironment = environment,
            },
            cancellationToken);
        var bench = new BenchmarkGraph(graph);
        await bench.SignInAsAdminAsync(cancellationToken);
        return bench;
    }

    private async Task SignInAsAdminAsync(CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsJsonAsync(
            "/api/v1/auth/token", new { user_name = "admin", password = Graph.Secrets.AdminPassword }, Json, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Signing in answered {(int)response.StatusCode}: {body}");
        }

        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonNode.Parse(body)!["access_token"]!.GetValue<string>());
    }

    /// <summary>
    /// From now on calls as a program would: with an API key of a new user of <paramref name="role"/>, rather than as the
    /// signed-in admin (an admin skips the per-collection access check).
    /// </summary>
    /// <param name="readableCollection">A collection the user is granted read access to, as an admin would grant a reader.</param>
    public async Task UseApiKeyOfNewUserAsync(string userName, string role, string? readableCollection = null, CancellationToken cancellationToken = default)
    {
        var user = await PostForJsonAsync(
            "/api/v1/admin/users", new { user_name = userName, password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), role }, cancellationToken);
        if (readableCollection is not null)
        {
            using var granted = await Http.PutAsJsonAsync(
                $"/api/v1/admin/collections/{readableCollection}/access",
                new { principal_kind = "user", principal_id = user["id"]!.GetValue<Guid>(), permission = "read" }, Json, cancellationToken);
            granted.EnsureSuccessStatusCode();
        }

        var key = await PostForJsonAsync("/api/v1/admin/api-keys", new { user_id = user["id"]!.GetValue<Guid>(), name = "benchmark" }, cancellationToken);
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key["key"]!.GetValue<string>());
    }

    private async Task<JsonObject> PostForJsonAsync(string path, object request, CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsJsonAsync(path, request, Json, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.IsSuccessStatusCode
            ? JsonNode.Parse(body)!.AsObject()
            : throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {body}");
    }

    /// <summary>Uploads the files 20 to a request, two requests at a time, waits until every job is done, and returns document id → file name.</summary>
    public async Task<Dictionary<Guid, string>> IngestFilesAsync(string collection, IReadOnlyList<string> files, CancellationToken cancellationToken = default)
    {
        var documents = new System.Collections.Concurrent.ConcurrentDictionary<Guid, string>();
        var jobs = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        await Parallel.ForEachAsync(files.Chunk(20), new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken }, async (batch, token) =>
        {
            var entries = await UploadAsync(
                collection, await Task.WhenAll(batch.Select(async file => (Path.GetFileName(file), await File.ReadAllBytesAsync(file, token)))), token);
            foreach (var entry in entries)
            {
                if (entry!["document_id"] is { } id && entry["job_id"] is { } job)
                {
                    documents[Guid.Parse(id.GetValue<string>())] = entry["file_name"]!.GetValue<string>();
                    jobs.Add(Guid.Parse(job.GetValue<string>()));
                }
            }
        });

        var pending = jobs.ToList();
        var failed = 0;
        while (pending.Count > 0)
        {
            var still = new List<Guid>();
            foreach (var job in pending)
            {
                var status = (await Http.GetFromJsonAsync<JsonObject>($"/api/v1/jobs/{job}", Json, cancellationToken))!["status"]!.GetValue<string>();
                if (status is "queued" or "processing")
                {
                    still.Add(job);
                }
                else if (status != "completed")
                {
                    failed++;
                }
            }

            pending = still;
            Console.Write($"\r  ingesting: {jobs.Count - pending.Count}/{jobs.Count} jobs done, {failed} failed   ");
            if (pending.Count > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }

        Console.WriteLine();
        return new Dictionary<Guid, string>(documents);
    }

    /// <summary>One multipart POST /api/v1/documents; returns each file's entry of the 202 answer.</summary>
    public async Task<JsonArray> UploadAsync(string collection, IEnumerable<(string FileName, byte[] Content)> files, CancellationToken cancellationToken = default)
    {
        using var form = new MultipartFormDataContent { { new StringContent(collection), "collection" } };
        foreach (var (fileName, content) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", fileName);
        }

        using var response = await Http.PostAsync("/api/v1/documents", form, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Upload answered {(int)response.StatusCode}: {body}");
        }

        return JsonNode.Parse(body)!["documents"]!.AsArray();
    }

    /// <summary>
    /// Lets the graph settle after a bulk ingestion, as a running system has: PostgreSQL's housekeeping of the new rows
    /// (vacuum, analyze, the checkpoint that writes them out) is done now rather than by autovacuum and the
    /// checkpointer during the measurement, and the API's index holds every chunk PostgreSQL holds (it follows
    /// ingestion through events). Otherwise the measurement would count that work as the requests'.
    /// </summary>
    public async Task SettleAfterIngestionAsync(CancellationToken cancellationToken = default)
    {
        await using (var database = new NpgsqlConnection(Graph.DatabaseConnectionString))
        {
            await database.OpenAsync(cancellationToken);
            foreach (var statement in new[] { "VACUUM (ANALYZE)", "CHECKPOINT" })
            {
                await using var command = new NpgsqlCommand(statement, database) { CommandTimeout = 600 };
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            var stats = (await Http.GetFromJsonAsync<JsonObject>("/api/v1/stats", Json, cancellationToken))!;
            var (chunks, indexed) = (stats["chunks"]!.GetValue<long>(), stats["index"]!["count"]!.GetValue<long>());
            if (chunks == indexed)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The index holds {indexed} of {chunks} chunks after five minutes.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    /// <summary>How many documents of the collection have the status, from the list endpoint's total.</summary>
    public async Task<long> CountAsync(string collection, string status, CancellationToken cancellationToken = default)
    {
        var page = await Http.GetFromJsonAsync<JsonObject>($"/api/v1/documents?collection={collection}&status={status}&page_size=1", Json, cancellationToken);
        return page!["total"]!.GetValue<long>();
    }

    public async Task<JsonArray> SearchAsync(object request, CancellationToken cancellationToken = default)
    {
        using var response = await Http.PostAsJsonAsync("/api/v1/search", request, Json, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Search answered {(int)response.StatusCode}: {body}");
        }

        return JsonNode.Parse(body)!["results"]!.AsArray();
    }

    /// <summary>Peak resident memory of a process (VmHWM), in MB, or null if it cannot be read.</summary>
    public static double? PeakMemoryMegabytes(int? processId)
    {
        if (processId is null || !File.Exists($"/proc/{processId}/status"))
        {
            return null;
        }

        var line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? null : double.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Graph.DisposeAsync();
    }
}
