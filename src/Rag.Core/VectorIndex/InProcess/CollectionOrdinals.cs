namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Small dense numbers for collection ids, so that the in-process indexes keep an int per point and turn a collection
/// filter into a table indexed by that number. Never shrinks: collections are few and never deleted. Not thread-safe:
/// its owner's lock covers it.
/// </summary>
internal sealed class CollectionOrdinals
{
    private readonly Dictionary<Guid, int> _ordinals = [];
    private readonly List<Guid> _ids = [];

    /// <summary>The collection ids, by ordinal.</summary>
    public IReadOnlyList<Guid> Ids => _ids;

    public int Count => _ids.Count;

    public int GetOrAdd(Guid collectionId)
    {
        if (!_ordinals.TryGetValue(collectionId, out var ordinal))
        {
            ordinal = _ids.Count;
            _ids.Add(collectionId);
            _ordinals.Add(collectionId, ordinal);
        }

        return ordinal;
    }

    public bool TryGet(Guid collectionId, out int ordinal) => _ordinals.TryGetValue(collectionId, out ordinal);
}
