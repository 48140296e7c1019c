using Microsoft.AspNetCore.Http.HttpResults;
using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.Qdrant;

namespace Rag.Api.Index;

public sealed record IndexResponse(string Kind, string? Model, int? Dimension, long Count, IndexRebuildStatus? Rebuild);

public static class IndexAdminApi
{
    public static RouteGroupBuilder MapIndexAdminApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/admin/index").WithTags("Index administration");
        group.MapGet("/", GetAsync).WithName("GetIndex").WithSummary("The vector index: kind, model, dimension, size and the latest rebuild.");
        group.MapPost("/rebuild", RebuildAsync)
            .WithName("RebuildIndex")
            .WithSummary("Rebuilds the vector index from the chunks in PostgreSQL (after a lost index or a change of embedding model); resumable.");
        group.MapGet("/rebuild/{id:guid}", GetRebuildAsync).WithName("GetIndexRebuild");
        group.MapPost("/snapshots", CreateSnapshotAsync).WithName("CreateIndexSnapshot").WithSummary("A Qdrant snapshot of the collection, for backups.");
        group.MapGet("/snapshots", ListSnapshotsAsync).WithName("ListIndexSnapshots");
        return group;
    }

    public static async Task<Ok<IndexResponse>> GetAsync(IVectorIndex index, IndexRebuilder rebuilder, CancellationToken cancellationToken)
    {
        var description = index.Describe();
        var count = await index.CountAsync(cancellationToken);
        return TypedResults.Ok(new IndexResponse(description.Kind, description.Model, description.Dimension, count, await rebuilder.GetRunningAsync(cancellationToken)));
    }

    public static async Task<Accepted<IndexRebuildStatus>> RebuildAsync(IndexRebuildRunner runner, CancellationToken cancellationToken)
    {
        var status = await runner.Request(cancellationToken);
        return TypedResults.Accepted($"/api/v1/admin/index/rebuild/{status.Id}", status);
    }

    public static async Task<Results<Ok<IndexRebuildStatus>, NotFound>> GetRebuildAsync(Guid id, IndexRebuilder rebuilder, CancellationToken cancellationToken) =>
        await rebuilder.GetAsync(id, cancellationToken) is { } status ? TypedResults.Ok(status) : TypedResults.NotFound();

    public static async Task<Results<Ok<QdrantSnapshot>, ProblemHttpResult>> CreateSnapshotAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetService<IQdrantSnapshots>() is { } snapshots
            ? TypedResults.Ok(await snapshots.CreateSnapshotAsync(cancellationToken))
            : NoSnapshots();

    public static async Task<Results<Ok<IReadOnlyList<QdrantSnapshot>>, ProblemHttpResult>> ListSnapshotsAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetService<IQdrantSnapshots>() is { } snapshots
            ? TypedResults.Ok(await snapshots.ListSnapshotsAsync(cancellationToken))
            : NoSnapshots();

    // The in-process index lives in memory and is rebuilt from PostgreSQL at every start: back up PostgreSQL instead.
    private static ProblemHttpResult NoSnapshots() => TypedResults.Problem(
        title: "No snapshots for the in-process index",
        detail: "Snapshots are taken of Qdrant's collection. Without Qdrant, the index is rebuilt from PostgreSQL at start: back up PostgreSQL (docs/operations.md).",
        statusCode: StatusCodes.Status409Conflict);
}
