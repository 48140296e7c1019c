namespace Rag.Core.VectorIndex.InProcess;

/// <summary>A <see cref="VectorFilter"/> turned into hash sets once per search, so each point is checked in O(tags).</summary>
internal sealed class CompiledFilter
{
    private readonly HashSet<Guid>? _collectionIds;
    private readonly Guid? _onlyCollectionId;
    private readonly HashSet<string>? _tags;

    public CompiledFilter(VectorFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        _collectionIds = filter.CollectionIds?.ToHashSet();
        DocumentIds = filter.DocumentIds?.ToHashSet();
        _tags = filter.Tags?.ToHashSet(StringComparer.Ordinal);
        // The usual search names one collection: a comparison is cheaper than a hash lookup.
        _onlyCollectionId = _collectionIds is { Count: 1 } ? _collectionIds.First() : null;
    }

    /// <summary>The documents to look in, or null for all; the store visits only these.</summary>
    public HashSet<Guid>? DocumentIds { get; }

    /// <summary>Whether the filter restricts tags: if not, <see cref="AdmitsTags"/> is always true.</summary>
    public bool HasTags => _tags is not null;

    public bool Matches(Guid collectionId, string[] tags) => AdmitsCollection(collectionId) && AdmitsTags(tags);

    public bool AdmitsCollection(Guid collectionId) =>
        _onlyCollectionId is { } onlyCollectionId ? collectionId == onlyCollectionId : _collectionIds?.Contains(collectionId) != false;

    public bool AdmitsTags(string[] tags)
    {
        if (_tags is null)
        {
            return true;
        }

        foreach (var tag in tags)
        {
            if (_tags.Contains(tag))
            {
                return true;
            }
        }

        return false;
    }
}
