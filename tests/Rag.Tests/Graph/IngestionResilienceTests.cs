using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace Rag.Tests.Graph;

// Failures of the parts around a job: each test owns its graph, since it kills or empties a part of it.
[Collection(GraphCollection.Name)]
public sealed class IngestionResilienceTests
{
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task AJobWhoseWorkerIsKilledCompletesAfterARestartWithExactlyTheChunksOfACleanRun()
    {
        // One job at a time, so the job the worker holds is the big one.
        await using var graph = await TestGraph.StartAsync(new Dictionary<string, string?> { ["Ingestion__Concurrency"] = "1" });
        using var api = await RagApiClient.SignInAsAdminAsync(graph);
        var content = LargeDocument(paragraphs: 20_000);
        var worker = graph.Ingestion[0];

        var document = (await api.UploadAcceptedAsync("crash", ("big.md", content)))[0];
        var jobId = document.GetGuid("job_id");
        await WaitUntilAsync(async () => (await api.GetJobAsync(jobId)).GetString("status") == "processing", TimeSpan.FromSeconds(60));
        await worker.KillAsync();

        await worker.StartAsync();
        var job = await api.WaitForJobAsync(jobId, JobTimeout);
        Assert.Equal("completed", job.GetString("status"));
        Assert.Equal(2, job["attempts"]!.GetValue<int>());

        // The same bytes in another collection, processed once without interruption.
        var clean = (await api.UploadAcceptedAsync("crash-clean", ("big.md", content)))[0];
        Assert.Equal("completed", (await api.WaitForJobAsync(clean.GetGuid("job_id"), JobTimeout)).GetString("status"));

        var crashedChunks = await ChunksOfAsync(graph.DatabaseConnectionString, document.GetGuid("document_id"));
        var cleanChunks = await ChunksOfAsync(graph.DatabaseConnectionString, clean.GetGuid("document_id"));
        Assert.NotEmpty(crashedChunks);
        Assert.Equal(cleanChunks, crashedChunks);
    }

    [Fact]
    public async Task JobsQueuedWhenRedisRestartsEmptyStillComplete()
    {
        await using var graph = await TestGraph.StartAsync();
        using var api = await RagApiClient.SignInAsAdminAsync(graph);
        var worker = graph.Ingestion[0];

        // With the worker away, the jobs wait as stream messages; then Redis loses them all.
        await worker.StopAsync(TimeSpan.FromSeconds(30));
        var documents = await api.UploadAcceptedAsync(
            "redis-loss",
            [.. Enumerable.Range(0, 12).Select(i => ($"note-{i}.txt", Encoding.UTF8.GetBytes($"Note {i} about the tapir census, region {i * 7}.")))]);
        await graph.Redis.RestartAsync(clearData: true);
        await worker.StartAsync();

        foreach (var document in documents)
        {
            Assert.Equal("completed", (await api.WaitForJobAsync(document.GetGuid("job_id"), JobTimeout)).GetString("status"));
        }
    }

    [Fact]
    public async Task FiveHundredFilesFromThirtyTwoConcurrentClientsAreAllIndexedOnce()
    {
        await using var graph = await TestGraph.StartAsync();
        var files = Enumerable.Range(0, 500)
            .Select(i => ($"file-{i:D3}.txt", Encoding.UTF8.GetBytes($"File {i}: the {i}th record of the concurrency survey, serial {i * 7919}.")))
            .ToArray();

        var accepted = new JsonObject[files.Length];
        using var api = await RagApiClient.SignInAsAdminAsync(graph);
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Length), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            // Each upload from its own client, all with the admin's one token (signing in 500 times is not what this tests).
            using var client = new RagApiClient(graph.Api.Url, api.Credential);
            accepted[i] = (await client.UploadAcceptedAsync("bulk", files[i]))[0];
        });

        Assert.Equal(files.Length, accepted.Select(a => a.GetGuid("document_id")).Distinct().Count());
        Assert.All(accepted, a => Assert.Equal("queued", a.GetString("status")));
        foreach (var document in accepted)
        {
            Assert.Equal("completed", (await api.WaitForJobAsync(document.GetGuid("job_id"), JobTimeout)).GetString("status"));
        }

        var listing = await api.Http.GetFromJsonAsync<JsonObject>("/api/v1/documents?collection=bulk&page_size=1", RagApiClient.Json);
        Assert.Equal(files.Length, listing!["total"]!.GetValue<int>());

        await using var connection = new NpgsqlConnection(graph.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM chunks ch JOIN documents d ON d.id = ch.document_id JOIN collections c ON c.id = d.collection_id WHERE c.name = 'bulk'",
            connection);
        Assert.Equal(files.Length, (long)(await command.ExecuteScalarAsync())!);
    }

    private static byte[] LargeDocument(int paragraphs)
    {
        var text = new StringBuilder("# Field manual\n\n");
        for (var i = 0; i < paragraphs; i++)
        {
            if (i % 200 == 0)
            {
                text.Append($"## Section {i / 200}\n\n");
            }

            text.Append($"Paragraph {i} records how the crew calibrates instrument {i % 97} before the survey of sector {i * 31 % 1009}. ")
                .Append("Every reading is written down twice and compared at the end of the shift.\n\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<List<string>> ChunksOfAsync(string connectionString, Guid documentId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT ordinal || ':' || char_start || ':' || char_end || ':' || md5(text) FROM chunks WHERE document_id = $1 ORDER BY ordinal", connection);
        command.Parameters.Add(new() { Value = documentId });
        var chunks = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            chunks.Add(reader.GetString(0));
        }

        return chunks;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!await condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }
}
