using System.CommandLine;
using Rag.Benchmarks.Answers;

var root = new RootCommand("Rag benchmarks and evaluations.")
{
    RetrievalEvalCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
