using System.CommandLine;

var root = new RootCommand("Rag benchmarks: run one command at a time, in Release (see docs/performance.md).");
root.Subcommands.Add(Rag.Benchmarks.Redis.RedisThroughputBenchmark.CreateCommand());
root.Subcommands.Add(Rag.Benchmarks.Search.VectorSearchBenchmark.CreateCommand());
root.Subcommands.Add(Rag.Benchmarks.Embeddings.EmbedBenchmark.CreateCommand());
root.Subcommands.Add(Rag.Benchmarks.Ingestion.IngestPostgresDocsBenchmark.CreateCommand());
root.Subcommands.Add(Rag.Benchmarks.Ingestion.UploadLatencyBenchmark.CreateCommand());
return await root.Parse(args).InvokeAsync();
