using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Rag.Benchmarks.Corpus;

namespace Rag.Benchmarks.Ingestion;

/// <summary>
/// `upload-latency`: how long POST /api/v1/documents takes to accept one 100 KB text file (stored, job queued)
/// with many clients uploading at once, while the worker processes what they upload.
/// </summary>
internal static class UploadLatencyBenchmark
{
    public static Command CreateCommand()
    {
        var clients = new Option<int>("--clients") { Description = "Concurrent upload clients.", DefaultValueFactory = _ => 16 };
        // 12,000: a p99 read from 120 slow requests rather than 20, and the API past the few thousand requests in which
        // it still compiles and sizes its heap (its CPU per upload is 10-40% higher in the first 2,000 after warm-up).
        var requests = new Option<int>("--requests") { Description = "Measured requests, after the warm-up.", DefaultValueFactory = _ => 12_000 };
        // The JIT keeps recompiling hot code into faster tiers for the first thousands of requests: after 200 the API still
        // spent over 1.5 times the CPU per upload that it spends after 3,000. The figure wanted is the steady state.
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured requests first.", DefaultValueFactory = _ => 3_000 };
        var kilobytes = new Option<int>("--kilobytes") { Description = "Size of each file.", DefaultValueFactory = _ => 100 };
        var disableDurability = new Option<bool>("--disable-durability") { Description = "Run PostgreSQL without fsync, as the tests do." };
        var withoutWorker = new Option<bool>("--without-worker")
        {
            Description = "Start no ingestion worker: jobs only queue, so the API does not share the cores with processing them.",
        };
        var command = new Command("upload-latency", "Upload acceptance latency (p50/p95/p99) of one-file requests from concurrent clients.")
        {
            clients, requests, warmup, kilobytes, disableDurability, withoutWorker,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(clients), parseResult.GetValue(requests), parseResult.GetValue(warmup), parseResult.GetValue(kilobytes),
            parseResult.GetValue(disableDurability), parseResult.GetValue(withoutWorker), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int clientCount, int requestCount, int warmupCount, int kilobytes, bool disableDurability, bool withoutWorker, CancellationToken cancellationToken)
    {
        // Every file distinct: identical bytes would be answered as duplicates without storing anything.
        var body = Encoding.UTF8.GetBytes(new SyntheticText(seed: 7).Text(kilobytes * 1024 / 2));
        // Written into each client's own buffer: a new 100 KB array per request would land on the large object heap, and
        // the gen-2 collections that follow (one every few dozen requests) paused every client and counted in the latencies.
        void WriteDistinctFile(int number, byte[] content)
        {
            var header = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"Upload benchmark file {number}\n\n"));
            header.CopyTo(content, 0);
            body.AsSpan(0, content.Length - header.Length).CopyTo(content.AsSpan(header.Length)); // ASCII: cutting anywhere is safe
        }

        await using var bench = await BenchmarkGraph.StartAsync(
            new Dictionary<string, string?>(), disableDurability, ingestionReplicas: withoutWorker ? 0 : 1, cancellationToken);
        // As the README tells programs to: an editor's API key, so the per-collection access check runs as it would.
        await bench.UseApiKeyOfNewUserAsync("uploader", "editor", cancellationToken: cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clientCount} clients, one {kilobytes} KB text file per request, {warmupCount} warm-up + {requestCount} measured requests, {(withoutWorker ? "no worker" : "one worker processing meanwhile")}; load average {BenchmarkGraph.LoadAverage()}"));

        await RunClientsAsync(0, warmupCount);

        // Everything that shares the cores, per upload: the API, the stores it waits on, and this load generator.
        var cpuBefore = GraphCpu.Read(bench);
        var stopwatch = Stopwatch.StartNew();
        var latencies = await RunClientsAsync(warmupCount, requestCount);
        stopwatch.Stop();
        var cpu = GraphCpu.Read(bench) - cpuBefore;
        Console.WriteLine("upload accepted: " + LatencyReport.Describe(latencies, stopwatch.Elapsed, cpu.Api).Replace("CPU", "API CPU", StringComparison.Ordinal));
        Console.WriteLine(cpu.PerRequest(requestCount));
        Console.WriteLine($"load average after: {BenchmarkGraph.LoadAverage()}");
        return 0;

        async Task<List<double>> RunClientsAsync(int first, int count)
        {
            var next = first - 1;
            var perClient = await Task.WhenAll(Enumerable.Range(0, clientCount).Select(_ => Task.Run(async () =>
            {
                var milliseconds = new List<double>();
                var content = new byte[kilobytes * 1024];
                for (var number = Interlocked.Increment(ref next); number < first + count; number = Interlocked.Increment(ref next))
                {
                    WriteDistinctFile(number, content);
                    var started = Stopwatch.GetTimestamp();
                    var accepted = await bench.UploadAsync("latency", [($"upload-{number}.txt", content)], cancellationToken);
                    milliseconds.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (accepted[0]!["status"]!.GetValue<string>() != "queued")
                    {
                        throw new InvalidOperationException($"Upload not queued: {accepted.ToJsonString()}");
                    }
                }

                return milliseconds;
            }, cancellationToken)));
            return [.. perClient.SelectMany(list => list)];
        }
    }
}
