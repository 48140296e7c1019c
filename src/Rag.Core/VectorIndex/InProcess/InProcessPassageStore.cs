using Rag.Core.Retrieval;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>A chunk's passage as a search returns it, with the document fields that search filters read.</summary>
/// <param name="Hit">Unscored.</param>
public sealed record StoredPassage(SearchHit Hit, string ContentType, DateTimeOffset CreatedAt);

/// <summary>
/// Every indexed chunk's passage (text, heading path, page, document title) in this process's memory, kept with the
/// in-process indexes by <see cref="InProcessIndexSynchronizer"/>: a search then needs no PostgreSQL round trip, which
/// was a quarter of its CPU. Costs the passages' text, two bytes per character (about 4 KB for a chunk of 512 tokens),
/// besides a few hundred bytes per chunk. Thread-safe.
/// </summary>
public sealed class InProcessPassageStore
{
    private readonly Lock _lock = new();
    private Dictionary<Guid, StoredPassage> _byChunk = [];
    private Dictionary<Guid, Guid[]> _chunksByDocument = [];
    private volatile bool _loaded;

    /// <summary>False until the first <see cref="Load"/>.</summary>
    public bool IsLoaded => _loaded;

    /// <summary>Replaces everything with <paramref name="passages"/>, built aside so that searches go on meanwhile.</summary>
    public void Load(IEnumerable<StoredPassage> passages)
    {
        ArgumentNullException.ThrowIfNull(passages);
        var byChunk = new Dictionary<Guid, StoredPassage>();
        var chunksByDocument = new Dictionary<Guid, List<Guid>>();
        foreach (var passage in passages)
        {
            ArgumentNullException.ThrowIfNull(passage, nameof(passages));
            byChunk[passage.Hit.ChunkId] = passage;
            if (!chunksByDocument.TryGetValue(passage.Hit.DocumentId, out var chunkIds))
            {
                chunksByDocument[passage.Hit.DocumentId] = chunkIds = [];
            }

            chunkIds.Add(passage.Hit.ChunkId);
        }

        var chunkArrays = chunksByDocument.ToDictionary(entry => entry.Key, entry => entry.Value.ToArray());
        lock (_lock)
        {
            (_byChunk, _chunksByDocument) = (byChunk, chunkArrays);
        }

        _loaded = true;
    }

    /// <summary>Makes <paramref name="passages"/> the only passages of <paramref name="documentId"/>.</summary>
    public void ReplaceDocument(Guid documentId, IReadOnlyList<StoredPassage> passages)
    {
        ArgumentNullException.ThrowIfNull(passages);
        if (passages.Any(passage => passage.Hit.DocumentId != documentId))
        {
            throw new ArgumentException($"Every passage must belong to document {documentId}.", nameof(passages));
        }

        lock (_lock)
        {
            RemoveDocument(documentId);
            foreach (var passage in passages)
            {
                _byChunk[passage.Hit.ChunkId] = passage;
            }

            _chunksByDocument[documentId] = [.. passages.Select(passage => passage.Hit.ChunkId)];
        }
    }

    public void DeleteDocument(Guid documentId)
    {
        lock (_lock)
        {
            RemoveDocument(documentId);
        }
    }

    public bool TryGet(Guid chunkId, out StoredPassage passage)
    {
        lock (_lock)
        {
            return _byChunk.TryGetValue(chunkId, out passage!);
        }
    }

    private void RemoveDocument(Guid documentId)
    {
        if (_chunksByDocument.Remove(documentId, out var chunkIds))
        {
            foreach (var chunkId in chunkIds)
            {
                _byChunk.Remove(chunkId);
            }
        }
    }
}
