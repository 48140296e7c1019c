using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Rag.Core;
using Rag.Core.Embeddings;
using Rag.Core.Ingestion;
using Rag.Core.Retrieval;
using Rag.Core.VectorIndex.InProcess;

namespace Rag.Benchmarks.Answers;

/// <summary>
/// retrieval-eval: ingests a folder of documents through the real graph, then asks a labelled question set and
/// reports recall@5 and MRR@10 of vector-only, full-text-only and hybrid retrieval. The retrievers run in-process
/// against the graph's PostgreSQL, with the in-process indexes loaded from its chunks, exactly as the API does; the
/// full-text half is measured both ways the API can answer it (in-process BM25, and PostgreSQL's ts_rank_cd as with Qdrant).
/// </summary>
internal static class RetrievalEvalCommand
{
    private const int RecallDepth = 5;
    private const int RankDepth = 10;

    public static Command Create()
    {
        var docs = new Option<DirectoryInfo>("--docs") { Description = "Folder of documents to ingest (e.g. the PostgreSQL HTML documentation).", Required = true };
        var questions = new Option<FileInfo>("--questions") { Description = "Labelled questions: eval/postgres-docs-questions.json.", Required = true };
        var pattern = new Option<string>("--pattern") { Description = "Which files of the folder to ingest.", DefaultValueFactory = _ => "*.html" };
        var command = new Command("retrieval-eval", "Recall@5 and MRR of vector, full-text and hybrid retrieval over a labelled question set.")
        {
            docs, questions, pattern,
        };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(docs)!, parse.GetValue(questions)!, parse.GetValue(pattern)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo docs, FileInfo questionsFile, string pattern, CancellationToken cancellationToken)
    {
        var questions = JsonDocument.Parse(await File.ReadAllTextAsync(questionsFile.FullName, cancellationToken)).RootElement
            .GetProperty("questions").EnumerateArray()
            .Select(q => (Question: q.GetProperty("question").GetString()!, Page: q.GetProperty("page").GetString()!))
            .ToList();
        var files = docs.GetFiles(pattern).Select(f => f.FullName).Order(StringComparer.Ordinal).ToList();
        Console.WriteLine($"{questions.Count} questions, {files.Count} documents in {docs.FullName}");

        await using var bench = await BenchmarkGraph.StartAsync(
            new Dictionary<string, string?> { ["Ingestion__Concurrency"] = "2" }, disableDurability: true, cancellationToken: cancellationToken);
        var graph = bench.Graph;
        var http = bench.Http;
        var stopwatch = Stopwatch.StartNew();
        var documents = await bench.IngestFilesAsync("pgdocs", files, cancellationToken);
        Console.WriteLine($"Ingested {documents.Count} documents in {stopwatch.Elapsed.TotalSeconds:F0} s");

        await using var dataSource = NpgsqlDataSource.Create(graph.DatabaseConnectionString);
        using var index = new InProcessVectorIndex();
        using var textIndex = new InProcessTextIndex();
        var embedder = new OfflineEmbeddingGenerator();
        var chunks = new List<IndexedChunk>();
        await foreach (var chunk in new ChunkStore(dataSource).ReadAllIndexedChunksAsync(OfflineEmbeddingGenerator.ModelId, cancellationToken))
        {
            chunks.Add(chunk);
        }

        await index.LoadAsync(OfflineEmbeddingGenerator.ModelId, embedder.Dimensions, chunks.Select(chunk => chunk.Point).ToAsyncEnumerable(), cancellationToken);
        textIndex.Load(chunks.Select(chunk => chunk.ToTextEntry()));
        var passages = new InProcessPassageStore();
        passages.Load(chunks.Select(chunk => chunk.Passage));
        Console.WriteLine($"Loaded {chunks.Count} chunks");

        // As the API pairs them: everything in memory without Qdrant, the text half and passages in PostgreSQL with it.
        var fullTextSearches = new (string Name, IFullTextSearch Search, IPassageSource Passages)[]
        {
            ("in-process BM25", new InProcessFullTextSearch(dataSource, textIndex), new InProcessPassageSource(passages, index)),
            ("PostgreSQL", new PostgresFullTextSearch(dataSource), new PostgresPassageSource(dataSource)),
        };

        var modes = new (string Name, RetrievalOptions Options)[]
        {
            ("vector", new RetrievalOptions { VectorWeight = 1, TextWeight = 0 }),
            ("full-text", new RetrievalOptions { VectorWeight = 0, TextWeight = 1 }),
            ("hybrid", new RetrievalOptions()),
            // Alternatives to the defaults (k = 5, text weight from the full-text search), to show how sensitive fusion is.
            ("hybrid k=60 v1:t1", new RetrievalOptions { RankConstant = 60, VectorWeight = 1, TextWeight = 1 }),
            ("hybrid k=20 v1:t1", new RetrievalOptions { RankConstant = 20, VectorWeight = 1, TextWeight = 1 }),
            ("hybrid k=5 v1:t1", new RetrievalOptions { RankConstant = 5, VectorWeight = 1, TextWeight = 1 }),
            ("hybrid k=20 v2:t1", new RetrievalOptions { RankConstant = 20, VectorWeight = 2, TextWeight = 1 }),
            ("hybrid k=20 v1:t3", new RetrievalOptions { RankConstant = 20, VectorWeight = 1, TextWeight = 3 }),
        };
        foreach (var (fullTextName, fullText, passageSource) in fullTextSearches)
        {
            Console.WriteLine($"full text: {fullTextName}");
            Console.WriteLine($"{"retriever",-18} {"recall@5",9} {"MRR@10",7}");
            foreach (var (name, options) in modes)
            {
                var retriever = new HybridRetriever(dataSource, index, fullText, passageSource, embedder, Options.Create(options));
                var (recall, mrr) = await EvaluateAsync(retriever, questions, documents, cancellationToken);
                Console.WriteLine($"{name,-18} {recall,9:F3} {mrr,7:F3}");
            }
        }

        return 0;
    }

    /// <summary>A question is recalled when a chunk of its page is among the first five; its reciprocal rank is that of the first such chunk.</summary>
    private static async Task<(double Recall, double Mrr)> EvaluateAsync(
        HybridRetriever retriever, List<(string Question, string Page)> questions, Dictionary<Guid, string> documents, CancellationToken cancellationToken)
    {
        var recalled = 0;
        var reciprocalRanks = 0.0;
        foreach (var (question, page) in questions)
        {
            var hits = await retriever.SearchAsync(new SearchQuery(question, RankDepth, new SearchFilters(Collections: ["pgdocs"])), cancellationToken);
            var rank = hits.Select((hit, i) => (hit, i)).FirstOrDefault(h => documents.GetValueOrDefault(h.hit.DocumentId) == page).i + 1;
            var found = hits.Any(h => documents.GetValueOrDefault(h.DocumentId) == page);
            if (found && rank <= RecallDepth)
            {
                recalled++;
            }

            reciprocalRanks += found ? 1.0 / rank : 0;
        }

        return ((double)recalled / questions.Count, reciprocalRanks / questions.Count);
    }
}
