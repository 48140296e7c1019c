using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using Rag.Benchmarks.Corpus;

namespace Rag.Benchmarks.Answers;

/// <summary>
/// search-load and chat-latency: a graph filled with synthetic documents (one chunk per section), then concurrent
/// clients over real HTTP. Reports latency percentiles; the targets are p50 &lt; 15 ms and p99 &lt; 50 ms for search at
/// 16 clients over 100,000 chunks, and a first chat delta within 100 ms at p99 with the offline answerer.
/// </summary>
internal static class LoadCommands
{
    private const int SectionsPerDocument = 100;

    private const int VocabularySize = 5_000;

    private const int WarmUpRequestsPerClient = 100;

    // Pronounceable pseudo-words: a vocabulary large enough that a query term matches about one chunk in a hundred,
    // as words of real documents do, instead of every chunk.
    private static readonly string[] Vocabulary = CreateVocabulary();

    public static Command CreateSearchLoad()
    {
        var chunks = new Option<int>("--chunks") { Description = "How many chunks to index.", DefaultValueFactory = _ => 100_000 };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 16 };
        var requests = new Option<int>("--requests") { Description = "Requests per client.", DefaultValueFactory = _ => 200 };
        var command = new Command("search-load", "Latency of POST /api/v1/search under concurrent clients.") { chunks, clients, requests };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(chunks), parse.GetValue(clients), parse.GetValue(requests), SearchOnceAsync, "search", cancellationToken));
        return command;
    }

    public static Command CreateChatLatency()
    {
        var chunks = new Option<int>("--chunks") { Description = "How many chunks to index.", DefaultValueFactory = _ => 10_000 };
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 4 };
        var requests = new Option<int>("--requests") { Description = "Requests per client.", DefaultValueFactory = _ => 100 };
        var command = new Command("chat-latency", "Time to the first 'delta' event of POST /api/v1/chat (offline answerer).") { chunks, clients, requests };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(chunks), parse.GetValue(clients), parse.GetValue(requests), FirstDeltaAsync, "chat first delta", cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        int chunks, int clients, int requestsPerClient, Func<HttpClient, string, CancellationToken, Task<TimeSpan>> measure, string label, CancellationToken cancellationToken)
    {
        await using var bench = await BenchmarkGraph.StartAsync(
            new Dictionary<string, string?> { ["Ingestion__Concurrency"] = "2" }, disableDurability: true, cancellationToken: cancellationToken);
        var http = bench.Http;
        var directory = Directory.CreateTempSubdirectory("rag-bench-docs");
        try
        {
            var files = WriteDocuments(directory.FullName, Math.Max(1, chunks / SectionsPerDocument));
            var stopwatch = Stopwatch.StartNew();
            await bench.IngestFilesAsync("bench", files, cancellationToken);
            Console.WriteLine($"Indexed about {files.Count * SectionsPerDocument} chunks in {stopwatch.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            directory.Delete(recursive: true);
        }

        await bench.SettleAfterIngestionAsync(cancellationToken);

        // Measured as a reader's program calls: with an API key, through the per-collection access check.
        await bench.UseApiKeyOfNewUserAsync("searcher", "reader", readableCollection: "bench", cancellationToken: cancellationToken);

        // Warm-up at full concurrency until the services' code is fully optimised by the tiered JIT: measured cold,
        // the first few thousand requests run partly unoptimised code and read far slower than a running service.
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            var random = new Random(-client - 1);
            for (var i = 0; i < WarmUpRequestsPerClient; i++)
            {
                await measure(http, Question(random), cancellationToken);
            }
        }));

        var latencies = new List<TimeSpan>[clients];
        var cpuBefore = GraphCpu.Read(bench);
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            var random = new Random(client + 1);
            latencies[client] = new List<TimeSpan>(requestsPerClient);
            for (var i = 0; i < requestsPerClient; i++)
            {
                latencies[client].Add(await measure(http, Question(random), cancellationToken));
            }
        }));
        wall.Stop();
        var cpu = GraphCpu.Read(bench) - cpuBefore;

        var all = latencies.SelectMany(l => l).Order().ToList();
        Console.WriteLine(
            $"{label}: {all.Count} requests, {clients} clients, {all.Count / wall.Elapsed.TotalSeconds:F0} req/s; " +
            $"p50 {Percentile(all, 0.50):F1} ms, p90 {Percentile(all, 0.90):F1} ms, p99 {Percentile(all, 0.99):F1} ms, max {all[^1].TotalMilliseconds:F1} ms");
        Console.WriteLine(cpu.PerRequest(all.Count));
        Console.WriteLine($"load average: {BenchmarkGraph.LoadAverage()}");
        return 0;
    }

    private static async Task<TimeSpan> SearchOnceAsync(HttpClient http, string question, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var response = await http.PostAsJsonAsync("/api/v1/search", new { query = question, top_k = 5, collection = "bench" }, cancellationToken);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
        return stopwatch.Elapsed;
    }

    private static async Task<TimeSpan> FirstDeltaAsync(HttpClient http, string question, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat")
        {
            // A unique suffix keeps the answer cache out of the measurement.
            Content = JsonContent.Create(new { query = $"{question} {Guid.NewGuid():N}", collection = "bench" }),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        TimeSpan? firstDelta = null;
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            if (item.EventType == "delta")
            {
                firstDelta ??= stopwatch.Elapsed;
            }
        }

        return firstDelta ?? throw new InvalidOperationException("The chat stream carried no delta.");
    }

    private static List<string> WriteDocuments(string directory, int count)
    {
        var files = new List<string>(count);
        var random = new Random(42);
        for (var d = 0; d < count; d++)
        {
            var text = new StringBuilder($"# Synthetic manual {d}\n\n");
            for (var s = 0; s < SectionsPerDocument; s++)
            {
                text.Append($"## Section {d}-{s} {Word(random)}\n\n");
                for (var w = 0; w < 60; w++)
                {
                    text.Append(Word(random)).Append(w % 12 == 11 ? ". " : " ");
                }

                text.Append("\n\n");
            }

            var path = Path.Combine(directory, $"manual-{d:D5}.md");
            File.WriteAllText(path, text.ToString());
            files.Add(path);
        }

        return files;
    }

    private static string[] CreateVocabulary()
    {
        string[] onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr", "pl"];
        string[] vowels = ["a", "e", "i", "o", "u"];
        var random = new Random(7);
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (words.Count < VocabularySize)
        {
            var word = new StringBuilder();
            for (var syllable = random.Next(2, 4); syllable > 0; syllable--)
            {
                word.Append(onsets[random.Next(onsets.Length)]).Append(vowels[random.Next(vowels.Length)]);
            }

            words.Add(word.Append(onsets[random.Next(onsets.Length)]).ToString());
        }

        return [.. words];
    }

    private static string Question(Random random) => $"How does {Word(random)} affect {Word(random)} and {Word(random)}?";

    private static string Word(Random random) => Vocabulary[random.Next(Vocabulary.Length)];

    private static double Percentile(List<TimeSpan> sorted, double percentile) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile * sorted.Count) - 1)].TotalMilliseconds;
}
