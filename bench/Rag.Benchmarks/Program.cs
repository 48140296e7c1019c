using System.CommandLine;
using Rag.Benchmarks.Answers;

var root = new RootCommand("Rag benchmarks and evaluations: run one command at a time, in Release (see docs/performance.md).")
{
    Rag.Benchmarks.Redis.RedisThroughputBenchmark.CreateCommand(),
    Rag.Benchmarks.Search.VectorSearchBenchmark.CreateCommand(),
    Rag.Benchmarks.Embeddings.EmbedBenchmark.CreateCommand(),
    Rag.Benchmarks.Ingestion.IngestPostgresDocsBenchmark.CreateCommand(),
    Rag.Benchmarks.Ingestion.UploadLatencyBenchmark.CreateCommand(),
    RetrievalEvalCommand.Create(),
    LoadCommands.CreateSearchLoad(),
    LoadCommands.CreateChatLatency(),
};
return await root.Parse(args).InvokeAsync();
