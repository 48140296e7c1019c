namespace Rag.Core.VectorIndex.Qdrant;

/// <summary>A snapshot of the vector collection, stored by Qdrant, for backups.</summary>
public sealed record QdrantSnapshot(string Name, long Size, DateTimeOffset? CreatedAt, string? Checksum);

/// <summary>Creates and lists snapshots of the configured collection.</summary>
public interface IQdrantSnapshots
{
    Task<QdrantSnapshot> CreateSnapshotAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<QdrantSnapshot>> ListSnapshotsAsync(CancellationToken cancellationToken = default);
}
