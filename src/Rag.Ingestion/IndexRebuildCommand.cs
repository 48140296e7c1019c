using Rag.Core;
using Rag.Core.Storage;
using Rag.Core.VectorIndex;

namespace Rag.Ingestion;

/// <summary>
/// <c>Rag.Ingestion rebuild-index</c>: rebuilds the configured vector index from the chunks in PostgreSQL in the
/// foreground, with the worker's configuration (ConnectionStrings:ragdb, :cache, :qdrant_http, AI:*), printing
/// progress; it resumes a rebuild that was left running. See docs/operations.md.
/// </summary>
internal static class IndexRebuildCommand
{
    public const string Name = "rebuild-index";

    public static async Task<int> RunAsync(string[] args)
    {
        // A plain host: the command serves no HTTP.
        var builder = Host.CreateApplicationBuilder(args);
        builder.AddServiceDefaults();
        builder.AddRedisClient(ResourceNames.Cache);
        builder.AddRagDatabase(ResourceNames.Database);
        builder.AddRagModels();
        builder.AddDocumentIngestion();
        using var app = builder.Build();
        await app.StartAsync();

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The rebuild keeps its cursor: running the command again resumes it.
            e.Cancel = true;
            stop.Cancel();
        };

        await app.Services.GetRequiredService<IDatabaseMigrationStatus>().WaitUntilAppliedAsync(stop.Token);
        var rebuilder = app.Services.GetRequiredService<IndexRebuilder>();
        var rebuild = await rebuilder.StartAsync(stop.Token);
        Console.WriteLine($"Rebuilding the vector index for {rebuild.EmbeddingModel} ({rebuild.Dimension} dimensions), rebuild {rebuild.Id}.");
        var result = await rebuilder.RunAsync(
            rebuild.Id,
            new Progress<IndexRebuildStatus>(s => Console.WriteLine($"  {s.DocumentsDone}/{s.DocumentsTotal} documents, {s.ChunksEmbedded} chunks embedded again")),
            stop.Token);
        Console.WriteLine($"Rebuild {result.Status}: {result.DocumentsDone} documents.");
        await app.StopAsync();
        return result.Status == "completed" ? 0 : 1;
    }
}
