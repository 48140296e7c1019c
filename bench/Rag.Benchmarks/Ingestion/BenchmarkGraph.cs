using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rag.LocalHost;

namespace Rag.Benchmarks.Ingestion;

/// <summary>
/// The whole local graph (Redis, PostgreSQL, Api, Ingestion as real processes) in a throw-away data folder,
/// and an HTTP client for its API, as the ingestion benchmarks use it.
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
        var graph = await LocalGraph.StartAsync(
            new LocalGraphOptions
            {
                DataDirectory = Path.Combine(Path.GetTempPath(), "rag-bench", Guid.NewGuid().ToString("N")),
                DisableDurability = disableDurability,
                IngestionReplicas = ingestionReplicas,
                AdditionalEnvironment = settings,
            },
            cancellationToken);
        return new BenchmarkGraph(graph);
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
        var dataDirectory = Graph.DataDirectory;
        await Graph.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }
}
