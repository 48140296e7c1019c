using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rag.LocalHost;

namespace Rag.Benchmarks.Answers;

/// <summary>The whole system started by the launcher in a throw-away folder, and document loading over its HTTP API.</summary>
internal static class BenchGraph
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<LocalGraph> StartAsync(CancellationToken cancellationToken)
    {
        await LocalPackages.EnsureInstalledAsync(Console.WriteLine, cancellationToken);
        return await LocalGraph.StartAsync(
            new LocalGraphOptions
            {
                DataDirectory = Path.Combine(Path.GetTempPath(), "rag-bench", Guid.NewGuid().ToString("N")),
                DisableDurability = true,
                AdditionalEnvironment = new Dictionary<string, string?> { ["Ingestion__Concurrency"] = "2" },
            },
            cancellationToken);
    }

    public static async Task DisposeAsync(LocalGraph graph)
    {
        await graph.DisposeAsync();
        Directory.Delete(graph.DataDirectory, recursive: true);
    }

    /// <summary>Uploads the files a few at a time, waits until every job is done, and returns document id → file name.</summary>
    public static async Task<Dictionary<Guid, string>> IngestAsync(HttpClient http, string collection, IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        var documents = new ConcurrentDictionary<Guid, string>();
        var jobs = new ConcurrentBag<Guid>();
        await Parallel.ForEachAsync(files.Chunk(20), new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = cancellationToken }, async (batch, token) =>
        {
            using var form = new MultipartFormDataContent { { new StringContent(collection), "collection" } };
            foreach (var file in batch)
            {
                form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(file, token)), "files", Path.GetFileName(file));
            }

            using var response = await http.PostAsync("/api/v1/documents", form, token);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(token))!;
            foreach (var entry in body["documents"]!.AsArray())
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
                var status = (await http.GetFromJsonAsync<JsonObject>($"/api/v1/jobs/{job}", Json, cancellationToken))!["status"]!.GetValue<string>();
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
}
