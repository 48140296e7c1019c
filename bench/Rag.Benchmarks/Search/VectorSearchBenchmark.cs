using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Rag.Benchmarks.Corpus;
using Rag.Core.Chunking;
using Rag.Core.Embeddings;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;

namespace Rag.Benchmarks.Search;

/// <summary>
/// `vector-search`: search latency of the in-process index holding offline-embedder vectors of generated
/// text, under concurrent searchers and optionally a writer replacing documents meanwhile.
/// </summary>
internal static class VectorSearchBenchmark
{
    private const int ChunksPerDocument = 20;
    private const int Collections = 10;
    private static readonly string[] Tags = ["alpha", "beta", "gamma", "delta"];

    public static Command CreateCommand()
    {
        var points = new Option<int>("--points") { Description = "Chunks in the index.", DefaultValueFactory = _ => 100_000 };
        var dimensions = new Option<int>("--dimensions") { Description = "Vector dimension.", DefaultValueFactory = _ => OfflineEmbeddingGenerator.DefaultDimensions };
        var searchers = new Option<int>("--searchers") { Description = "Concurrent searchers.", DefaultValueFactory = _ => 16 };
        var seconds = new Option<int>("--seconds") { Description = "How long each phase searches.", DefaultValueFactory = _ => 5 };
        var limit = new Option<int>("--limit") { Description = "Results per search.", DefaultValueFactory = _ => 20 };
        var command = new Command("vector-search", "In-process vector index search latency (p50/p99) under concurrent searchers.")
        {
            points, dimensions, searchers, seconds, limit,
        };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(points), parseResult.GetValue(dimensions), parseResult.GetValue(searchers),
            TimeSpan.FromSeconds(parseResult.GetValue(seconds)), parseResult.GetValue(limit), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int pointCount, int dimensions, int searcherCount, TimeSpan duration, int limit, CancellationToken cancellationToken)
    {
        using var generator = new OfflineEmbeddingGenerator(dimensions);
        var loading = Stopwatch.StartNew();
        var documents = await CreateDocumentsAsync(generator, pointCount, cancellationToken);
        var embedded = loading.Elapsed;

        using var index = new InProcessVectorIndex();
        await index.LoadAsync(OfflineEmbeddingGenerator.ModelId, dimensions, ToAsync(documents.SelectMany(document => document)), cancellationToken);
        GC.Collect();
        var count = await index.CountAsync(cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"index: {count} points x {dimensions} dims (offline embedder over generated text, 150-token chunks); embedded in {embedded.TotalSeconds:F1} s, loaded in {(loading.Elapsed - embedded).TotalSeconds:F1} s; managed heap {GC.GetTotalMemory(false) / 1e6:F0} MB"));

        var queryText = new SyntheticText(seed: 99);
        var queries = (await generator.GenerateAsync(Enumerable.Range(0, 256).Select(_ => queryText.Sentence()), cancellationToken: cancellationToken))
            .Select(embedding => embedding.Vector)
            .ToList();

        var points = documents.SelectMany(document => document).ToList();
        var recall = await MeasureRecallAsync(index, points, queries.Take(100).ToList(), limit, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recall@{limit} against the exact float scan, 100 queries: {recall:F4}"));

        MeasureScans(points, dimensions, queries, limit, searcherCount);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{searcherCount} searchers, top {limit}, {Environment.ProcessorCount} cores:"));
        await MeasureAsync("  no filter              ", index, queries, limit, VectorFilter.None, searcherCount, duration, writer: null, cancellationToken);
        // What /api/v1/search sends when every chunk is in collections the caller may read: admits every point.
        var everyCollection = new VectorFilter(CollectionIds: [.. Enumerable.Range(0, Collections).Select(CollectionId)]);
        await MeasureAsync("  every collection named ", index, queries, limit, everyCollection, searcherCount, duration, writer: null, cancellationToken);
        var oneCollection = new VectorFilter(CollectionIds: [CollectionId(3)]);
        await MeasureAsync("  one collection of ten  ", index, queries, limit, oneCollection, searcherCount, duration, writer: null, cancellationToken);
        var churn = documents[0];
        await MeasureAsync("  no filter, with writer ", index, queries, limit, VectorFilter.None, searcherCount, duration, writer: WriteContinuouslyAsync, cancellationToken);
        return 0;

        // Re-writes one document's chunks every 5 ms, as ingestion would while people search.
        async Task<int> WriteContinuouslyAsync(CancellationToken stop)
        {
            var writes = 0;
            while (!stop.IsCancellationRequested)
            {
                await index.ReplaceDocumentAsync(churn[0].DocumentId, churn, CancellationToken.None);
                writes++;
                await Task.Delay(5, CancellationToken.None);
            }

            return writes;
        }
    }

    private static async Task MeasureAsync(
        string label,
        IVectorIndex index,
        List<ReadOnlyMemory<float>> queries,
        int limit,
        VectorFilter filter,
        int searcherCount,
        TimeSpan duration,
        Func<CancellationToken, Task<int>>? writer,
        CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(duration);
        var writes = writer is null ? Task.FromResult(0) : Task.Run(() => writer(stop.Token), CancellationToken.None);
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var stopwatch = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(Enumerable.Range(0, searcherCount).Select(searcher => Task.Run(async () =>
        {
            var milliseconds = new List<double>();
            for (var i = searcher; !stop.IsCancellationRequested; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await index.SearchAsync(queries[i % queries.Count], limit, filter, cancellationToken);
                milliseconds.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            return milliseconds;
        }, CancellationToken.None)));
        stopwatch.Stop();
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        var writeCount = await writes;
        Console.WriteLine(label + LatencyReport.Describe(latencies.SelectMany(list => list).ToList(), stopwatch.Elapsed, cpu)
            + (writer is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; {writeCount} document replacements of {ChunksPerDocument} chunks")));
    }

    // The store alone, answering batches of as many searches as there are searchers, one batch after another: no
    // queue, no waiting callers and no idle thread-pool threads spinning, so CPU per search is the scan's own cost.
    private static void MeasureScans(List<VectorPoint> points, int dimensions, List<ReadOnlyMemory<float>> queries, int limit, int batchSize)
    {
        var store = new VectorStore(OfflineEmbeddingGenerator.ModelId, dimensions);
        foreach (var point in points)
        {
            store.Upsert(point);
        }

        var everyCollection = new VectorFilter(CollectionIds: [.. Enumerable.Range(0, Collections).Select(CollectionId)]);
        foreach (var (label, filter) in new[] { ("no filter", VectorFilter.None), ("every collection named", everyCollection) })
        {
            const int Batches = 40;
            var batches = Enumerable.Range(0, Batches)
                .Select(b => Enumerable.Range(0, batchSize).Select(i => Request(queries[((b * batchSize) + i) % queries.Count], filter)).ToList())
                .ToList();
            store.Search(batches[0]);
            var cpuBefore = Environment.CpuUsage.TotalTime;
            var stopwatch = Stopwatch.StartNew();
            foreach (var batch in batches)
            {
                store.Search(batch);
            }

            var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"scans alone, batches of {batchSize}, {label}: {stopwatch.Elapsed.TotalMilliseconds / Batches:F2} ms per batch, CPU {cpu.TotalMilliseconds / (Batches * batchSize):F3} ms per search"));
        }

        SearchRequest Request(ReadOnlyMemory<float> query, VectorFilter filter)
        {
            var normalised = query.ToArray();
            TensorPrimitives.Divide(normalised, TensorPrimitives.Norm(normalised), normalised);
            return new SearchRequest(normalised, limit, new CompiledFilter(filter), CancellationToken.None);
        }
    }

    // The index scans quantized vectors and rescores a few candidates exactly: how many of the exact top matches
    // (every point's float cosine) does it return?
    private static async Task<double> MeasureRecallAsync(IVectorIndex index, List<VectorPoint> points, List<ReadOnlyMemory<float>> queries, int limit, CancellationToken cancellationToken)
    {
        var norms = points.Select(point => TensorPrimitives.Norm(point.Vector.Span)).ToArray();
        var found = 0;
        foreach (var query in queries)
        {
            var exact = points
                .Select((point, i) => (point.ChunkId, Score: TensorPrimitives.Dot(query.Span, point.Vector.Span) / norms[i]))
                .OrderByDescending(candidate => candidate.Score)
                .Take(limit)
                .Select(candidate => candidate.ChunkId)
                .ToHashSet();
            var matches = await index.SearchAsync(query, limit, VectorFilter.None, cancellationToken);
            found += matches.Count(match => exact.Contains(match.ChunkId));
        }

        return (double)found / (queries.Count * limit);
    }

    private static async Task<List<List<VectorPoint>>> CreateDocumentsAsync(IEmbeddingGenerator<string, Embedding<float>> generator, int pointCount, CancellationToken cancellationToken)
    {
        var documentCount = (pointCount + ChunksPerDocument - 1) / ChunksPerDocument;
        var documents = new List<VectorPoint>[documentCount];
        await Parallel.ForAsync(0, documentCount, cancellationToken, async (d, token) =>
        {
            var text = new SyntheticText(seed: d);
            var documentId = new Guid(d, 0, 0, new byte[8]);
            var count = Math.Min(ChunksPerDocument, pointCount - (d * ChunksPerDocument));
            var embeddings = await generator.GenerateAsync(Enumerable.Range(0, count).Select(_ => text.Text(150)), cancellationToken: token);
            documents[d] = embeddings
                .Select((embedding, ordinal) => new VectorPoint(
                    ChunkIds.Create(documentId, 1, ordinal), documentId, CollectionId(d % Collections), [Tags[(d + ordinal) % Tags.Length]], embedding.Vector))
                .ToList();
        });
        return [.. documents];
    }

    private static Guid CollectionId(int number) => new(number, 1, 1, new byte[8]);

    private static async IAsyncEnumerable<VectorPoint> ToAsync(IEnumerable<VectorPoint> points)
    {
        foreach (var point in points)
        {
            yield return point;
        }

        await Task.CompletedTask;
    }
}
