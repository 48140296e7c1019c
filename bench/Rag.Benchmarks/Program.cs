using System.CommandLine;
using Rag.Benchmarks.Answers;

var root = new RootCommand("Rag benchmarks and evaluations.")
{
    RetrievalEvalCommand.Create(),
    LoadCommands.CreateSearchLoad(),
    LoadCommands.CreateChatLatency(),
};
return await root.Parse(args).InvokeAsync();
