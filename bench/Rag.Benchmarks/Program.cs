using System.CommandLine;

var root = new RootCommand("Rag benchmarks");
root.Subcommands.Add(Rag.Benchmarks.Redis.RedisThroughputBenchmark.CreateCommand());
return await root.Parse(args).InvokeAsync();
