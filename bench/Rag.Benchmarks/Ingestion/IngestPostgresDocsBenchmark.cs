using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Rag.Benchmarks.Ingestion;

/// <summary>
/// `ingest-postgres-docs`: the PostgreSQL HTML manual (Debian package postgresql-doc-15) uploaded through the API by
/// concurrent uploaders, processed by the ingestion worker, and searchable: the whole path a user's corpus takes.
/// </summary>
internal static class IngestPostgresDocsBenchmark
{
    private const string Collection = "pgdocs";

    // Questions whose answer page is unambiguous in the manual: the check that what was indexed is findable.
    private static readonly (string Query, string ExpectedFile)[] KnownAnswers =
    [
        ("VACUUM garbage-collect and optionally analyze a database", "sql-vacuum.html"),
        ("CREATE INDEX define a new index concurrently", "sql-createindex.html"),
        ("pg_dump extract a PostgreSQL database into a script file or other archive file", "app-pgdump.html"),
        ("ALTER TABLE change the definition of a table", "sql-altertable.html"),
        ("pg_hba.conf client authentication configuration file", "auth-pg-hba-conf.html"),
    ];

    public static Command CreateCommand()
    {
        var docs = new Option<DirectoryInfo>("--docs")
        {
            Description = "Folder of the manual's HTML pages.",
            DefaultValueFactory = _ => new DirectoryInfo("/usr/share/doc/postgresql-doc-15/html"),
        };
        var uploaders = new Option<int>("--uploaders") { Description = "Concurrent upload clients.", DefaultValueFactory = _ => 4 };
        var filesPerRequest = new Option<int>("--files-per-request") { Description = "Files in each multipart upload.", DefaultValueFactory = _ => 20 };
        var concurrency = new Option<int?>("--concurrency") { Description = "Ingestion:Concurrency of the worker (default: its own)." };
        var disableDurability = new Option<bool>("--disable-durability") { Description = "Run PostgreSQL without fsync, as the tests do." };
        var timeout = new Option<int>("--timeout-seconds") { Description = "Give up when processing takes longer.", DefaultValueFactory = _ => 600 };
        var command = new Command("ingest-postgres-docs", "Upload, process and search the PostgreSQL HTML manual through the local graph.")
        {
            docs, uploaders, filesPerRequest, concurrency, disableDurability, timeout,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(docs)!, parseResult.GetValue(uploaders), parseResult.GetValue(filesPerRequest), parseResult.GetValue(concurrency),
            parseResult.GetValue(disableDurability), TimeSpan.FromSeconds(parseResult.GetValue(timeout)), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        DirectoryInfo docs, int uploaderCount, int filesPerRequest, int? concurrency, bool disableDurability, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!docs.Exists)
        {
            await Console.Error.WriteLineAsync($"{docs.FullName} does not exist: install the Debian package postgresql-doc-15 (apt-get install postgresql-doc-15).");
            return 2;
        }

        var files = docs.GetFiles("*.html").OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => (FileName: f.Name, Content: File.ReadAllBytes(f.FullName)))
            .ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"corpus: {files.Count} pages, {files.Sum(f => f.Content.Length) / 1e6:F1} MB from {docs.FullName}; load average {BenchmarkGraph.LoadAverage()}"));

        var settings = new Dictionary<string, string?>();
        if (concurrency is { } workerConcurrency)
        {
            settings["Ingestion__Concurrency"] = workerConcurrency.ToString(CultureInfo.InvariantCulture);
        }

        await using var bench = await BenchmarkGraph.StartAsync(settings, disableDurability, cancellationToken: cancellationToken);
        var workerProcessId = bench.Graph.Ingestion[0].ProcessId;

        // Upload: a few clients, each taking the next batch of files until none is left.
        var batches = new ConcurrentQueue<(string FileName, byte[] Content)[]>(files.Chunk(filesPerRequest));
        var requestCount = batches.Count;
        var accepted = new ConcurrentBag<(string FileName, Guid DocumentId, Guid JobId)>();
        var started = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, uploaderCount).Select(_ => Task.Run(async () =>
        {
            while (batches.TryDequeue(out var batch))
            {
                foreach (var document in await bench.UploadAsync(Collection, batch, cancellationToken))
                {
                    if (document!["status"]!.GetValue<string>() is "rejected" or "duplicate")
                    {
                        throw new InvalidOperationException($"Upload not queued: {document.ToJsonString()}");
                    }

                    accepted.Add((document["file_name"]!.GetValue<string>(), Guid.Parse(document["document_id"]!.GetValue<string>()), Guid.Parse(document["job_id"]!.GetValue<string>())));
                }
            }
        }, cancellationToken)));
        var uploaded = started.Elapsed;
        var completedDuringUpload = await bench.CountAsync(Collection, "completed", cancellationToken);

        // Processing: until every document is completed (or one failed, which the benchmark does not tolerate).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        long completed;
        while ((completed = await bench.CountAsync(Collection, "completed", deadline.Token)) < accepted.Count)
        {
            if (await bench.CountAsync(Collection, "failed", deadline.Token) is > 0 and var failed)
            {
                throw new InvalidOperationException($"{failed} documents failed; see {bench.Graph.Ingestion[0].LogFile}");
            }

            await Task.Delay(100, deadline.Token);
        }

        var processed = started.Elapsed;
        var peakWorkerMemory = BenchmarkGraph.PeakMemoryMegabytes(workerProcessId);
        var peakApiMemory = BenchmarkGraph.PeakMemoryMegabytes(bench.Graph.Api.ProcessId);
        var loadAfter = BenchmarkGraph.LoadAverage();

        // The API's in-process index follows the workers through change notifications: how far behind is it
        // when the last jobs complete? Probe the last documents to complete until the vector retriever finds each.
        var jobs = await ReadJobsAsync(bench, accepted, cancellationToken);
        var lastCompleted = jobs.MaxBy(j => j.CompletedAt);
        var laggards = jobs.OrderByDescending(j => j.CompletedAt).Take(20).ToList();
        var firstProbe = DateTimeOffset.UtcNow - lastCompleted.CompletedAt;
        var visibleAfter = await WaitUntilVectorSearchableAsync(bench, laggards, TimeSpan.FromSeconds(60), cancellationToken);
        var searchable = started.Elapsed;

        var chunkTotal = await CountChunksAsync(bench, cancellationToken);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            upload:     {accepted.Count} documents in {requestCount} requests of {filesPerRequest} files by {uploaderCount} clients in {uploaded.TotalSeconds:F1} s ({completedDuringUpload} already completed by then)
            processing: all completed {processed.TotalSeconds:F1} s after the first upload ({(processed - uploaded).TotalSeconds:F1} s after the last upload)
            total:      {processed.TotalSeconds:F1} s = {accepted.Count / processed.TotalSeconds:F1} documents/s; {chunkTotal} chunks = {chunkTotal / processed.TotalSeconds:F0} chunks/s
            index lag:  the last 20 documents to complete were found by vector search at most {visibleAfter.TotalMilliseconds:F0} ms after their jobs completed (first probe {firstProbe.TotalMilliseconds:F0} ms after the last completion, after reading the jobs' completion times); all searchable {searchable.TotalSeconds:F1} s after the first upload
            memory:     ingestion worker peak RSS (VmHWM) {peakWorkerMemory:F0} MB; API {peakApiMemory:F0} MB
            load:       {loadAfter} (1, 5, 15 min) when processing ended
            """));

        var found = 0;
        var byDocument = accepted.ToDictionary(a => a.DocumentId, a => a.FileName);
        foreach (var (query, expected) in KnownAnswers)
        {
            var results = await bench.SearchAsync(new { Query = query, Collection, TopK = 10 }, cancellationToken);
            var files10 = results.Select(r => byDocument[Guid.Parse(r!["document_id"]!.GetValue<string>())]).Distinct().ToList();
            var rank = files10.IndexOf(expected);
            found += rank >= 0 ? 1 : 0;
            Console.WriteLine($"search:     \"{query}\" -> {(rank >= 0 ? $"{expected} at document rank {rank + 1}" : $"MISSED {expected}; got {string.Join(", ", files10.Take(3))}")}");
        }

        return found == KnownAnswers.Length ? 0 : 1;
    }

    private static async Task<List<(Guid DocumentId, string FileName, DateTimeOffset CompletedAt)>> ReadJobsAsync(
        BenchmarkGraph bench, IEnumerable<(string FileName, Guid DocumentId, Guid JobId)> accepted, CancellationToken cancellationToken)
    {
        var jobs = new ConcurrentBag<(Guid, string, DateTimeOffset)>();
        await Parallel.ForEachAsync(accepted, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (a, token) =>
        {
            var job = await bench.Http.GetFromJsonAsync<JsonObject>($"/api/v1/jobs/{a.JobId}", BenchmarkGraph.Json, token);
            jobs.Add((a.DocumentId, a.FileName, job!["completed_at"]!.GetValue<DateTimeOffset>()));
        });
        return [.. jobs];
    }

    /// <returns>The longest time from a document's job completing to vector search finding it; an upper bound
    /// for documents already visible at the first probe. Each document is probed by its own loop, so a slow search
    /// for one does not delay noticing another.</returns>
    private static async Task<TimeSpan> WaitUntilVectorSearchableAsync(
        BenchmarkGraph bench, List<(Guid DocumentId, string FileName, DateTimeOffset CompletedAt)> documents, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var lags = await Task.WhenAll(documents.Select(async document =>
        {
            while (true)
            {
                var results = await bench.SearchAsync(
                    new { Query = Path.GetFileNameWithoutExtension(document.FileName), Collection, TopK = 5, Filters = new { DocumentIds = new[] { document.DocumentId } } },
                    deadline.Token);
                if (results.Any(r => r!["retrievers"]!.AsArray().Any(x => x!.GetValue<string>() == "vector")))
                {
                    return DateTimeOffset.UtcNow - document.CompletedAt;
                }

                await Task.Delay(20, deadline.Token);
            }
        }));
        return lags.Max();
    }

    private static async Task<long> CountChunksAsync(BenchmarkGraph bench, CancellationToken cancellationToken)
    {
        long chunks = 0;
        for (var page = 1; ; page++)
        {
            var documents = await bench.Http.GetFromJsonAsync<JsonObject>($"/api/v1/documents?collection={Collection}&page={page}&page_size=100", BenchmarkGraph.Json, cancellationToken);
            var items = documents!["items"]!.AsArray();
            chunks += items.Sum(d => d!["chunk_count"]!.GetValue<long>());
            if (items.Count < 100)
            {
                return chunks;
            }
        }
    }
}
