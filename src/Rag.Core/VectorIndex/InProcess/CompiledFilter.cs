namespace Rag.Core.VectorIndex.InProcess;

/// <summary>A <see cref="VectorFilter"/> turned into hash sets once per search, so each point is checked in O(tags).</summary>
internal sealed class CompiledFilter
{
    private readonly HashSet<Guid>? _collectionIds;
    private readonly HashSet<string>? _tags;

    public CompiledFilter(VectorFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        _collectionIds = filter.CollectionIds?.ToHashSet();
        DocumentIds = filter.DocumentIds?.ToHashSet();
        _tags = filter.Tags?.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The documents to look in, or null for all; the store visits only these.</summary>
    public HashSet<Guid>? DocumentIds { get; }

    public bool Matches(Guid collectionId, string[] tags)
    {
        if (_collectionIds is not null && !_collectionIds.Contains(collectionId))
        {
            return false;
        }

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
