using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Rag.Benchmarks.Corpus;
using Rag.Core.Chunking;
using Rag.Core.Embeddings;
using Rag.Core.Extraction;

namespace Rag.Benchmarks.Embeddings;

/// <summary>`embed`: throughput of the chunker and of the offline embedder on 512-token chunks, on one thread.</summary>
internal static class EmbedBenchmark
{
    public static Command CreateCommand()
    {
        var seconds = new Option<int>("--seconds") { Description = "How long to embed.", DefaultValueFactory = _ => 5 };
        var dimensions = new Option<int>("--dimensions") { Description = "Embedding dimension.", DefaultValueFactory = _ => OfflineEmbeddingGenerator.DefaultDimensions };
        var batchSize = new Option<int>("--batch-size") { Description = "Chunks per GenerateAsync call.", DefaultValueFactory = _ => 64 };
        var command = new Command("embed", "Offline embedder throughput (chunks/s) on 512-token chunks.") { seconds, dimensions, batchSize };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            TimeSpan.FromSeconds(parseResult.GetValue(seconds)), parseResult.GetValue(dimensions), parseResult.GetValue(batchSize), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(TimeSpan duration, int dimensions, int batchSize, CancellationToken cancellationToken)
    {
        var text = new SyntheticText(seed: 1);
        var documents = Enumerable.Range(0, 40)
            .Select(_ => new ExtractedDocument(null, Enumerable.Range(0, 30).Select(_ => new TextBlock(BlockKind.Paragraph, text.Text(120), [])).ToList()))
            .ToList();

        var chunking = Stopwatch.StartNew();
        var chunks = documents.SelectMany(document => DocumentChunker.Chunk(document)).Select(chunk => chunk.Text).ToList();
        chunking.Stop();
        var characters = documents.Sum(document => document.Blocks.Sum(block => block.Text.Length));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chunk: {chunks.Count} chunks (mean {chunks.Average(chunk => ApproximateTokenCounter.Count(chunk)):F0} tokens) from {characters / 1e6:F1} M chars in {chunking.Elapsed.TotalMilliseconds:F0} ms = {characters / 1e6 / chunking.Elapsed.TotalSeconds:F1} M chars/s"));

        using var generator = new OfflineEmbeddingGenerator(dimensions);
        await generator.GenerateAsync(chunks.Take(batchSize), cancellationToken: cancellationToken);
        var embedded = 0;
        var cpuBefore = Environment.CpuUsage.TotalTime;
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < duration)
        {
            var batch = Enumerable.Range(embedded, batchSize).Select(i => chunks[i % chunks.Count]);
            await generator.GenerateAsync(batch, cancellationToken: cancellationToken);
            embedded += batchSize;
        }

        stopwatch.Stop();
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;

        // On a shared machine the wall-clock rate depends on the neighbours; the rate per CPU second does not.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"embed: {embedded} chunks of {dimensions} dimensions in {stopwatch.Elapsed.TotalSeconds:F1} s on one thread = {embedded / stopwatch.Elapsed.TotalSeconds:F0} chunks/s; {embedded / cpu.TotalSeconds:F0} chunks per CPU second ({cpu.TotalMilliseconds * 1000 / embedded:F0} µs CPU per chunk)"));
        return 0;
    }
}
