using System.Numerics.Tensors;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// The points of one model and dimension: vectors L2-normalised in one contiguous array (so a dot product is
/// the cosine), metadata in a parallel array, and maps from chunk and document ids to slots. Deleting moves the
/// last point into the freed slot, so the live points are always slots [0, Count). Not thread-safe: the index
/// guards it with a reader/writer lock.
/// </summary>
internal sealed class VectorStore
{
    private const int InitialCapacity = 1024;

    private readonly Dictionary<Guid, int> _slotByChunk = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _chunksByDocument = [];
    private float[] _vectors;
    private PointMetadata[] _points;

    public VectorStore(string model, int dimension)
    {
        Model = model;
        Dimension = dimension;
        _vectors = new float[checked(InitialCapacity * dimension)];
        _points = new PointMetadata[InitialCapacity];
    }

    public string Model { get; }

    public int Dimension { get; }

    public int Count { get; private set; }

    /// <summary>Throws unless every point belongs to <paramref name="documentId"/> and has this store's dimension.</summary>
    public void Validate(Guid documentId, IReadOnlyList<VectorPoint> points)
    {
        foreach (var point in points)
        {
            ArgumentNullException.ThrowIfNull(point);
            if (point.DocumentId != documentId)
            {
                throw new ArgumentException($"Point {point.ChunkId} belongs to document {point.DocumentId}, not {documentId}.", nameof(points));
            }

            Validate(point);
        }
    }

    public void Validate(VectorPoint point)
    {
        if (point.Vector.Length != Dimension)
        {
            throw new VectorIndexMismatchException(
                $"Point {point.ChunkId} has {point.Vector.Length} dimensions, but the index holds {Dimension}-dimensional vectors of '{Model}'. Reindex to change models.");
        }
    }

    /// <param name="points">Validated points.</param>
    public void ReplaceDocument(Guid documentId, IReadOnlyList<VectorPoint> points)
    {
        if (_chunksByDocument.TryGetValue(documentId, out var existing))
        {
            var kept = points.Select(point => point.ChunkId).ToHashSet();
            foreach (var chunkId in existing.Where(chunkId => !kept.Contains(chunkId)).ToList())
            {
                RemoveChunk(chunkId);
            }
        }

        foreach (var point in points)
        {
            Upsert(point);
        }
    }

    public void DeleteDocument(Guid documentId)
    {
        if (_chunksByDocument.TryGetValue(documentId, out var chunkIds))
        {
            foreach (var chunkId in chunkIds.ToList())
            {
                RemoveChunk(chunkId);
            }
        }
    }

    /// <param name="point">A validated point.</param>
    public void Upsert(VectorPoint point)
    {
        if (_slotByChunk.TryGetValue(point.ChunkId, out var slot))
        {
            var previousDocument = _points[slot].DocumentId;
            if (previousDocument != point.DocumentId)
            {
                ForgetChunkOfDocument(previousDocument, point.ChunkId);
            }
        }
        else
        {
            EnsureCapacity(Count + 1);
            slot = Count++;
            _slotByChunk.Add(point.ChunkId, slot);
        }

        if (!_chunksByDocument.TryGetValue(point.DocumentId, out var chunkIds))
        {
            chunkIds = [];
            _chunksByDocument.Add(point.DocumentId, chunkIds);
        }

        chunkIds.Add(point.ChunkId);
        _points[slot] = new PointMetadata(point.ChunkId, point.DocumentId, point.CollectionId, [.. point.Tags]);
        var target = _vectors.AsSpan(slot * Dimension, Dimension);
        point.Vector.Span.CopyTo(target);
        var norm = TensorPrimitives.Norm(target);
        if (norm > 0)
        {
            TensorPrimitives.Divide(target, norm, target);
        }
    }

    /// <summary>
    /// Answers several searches with one pass over the vectors: each vector is read from memory once and scored
    /// against every query while it is in cache, which is what makes concurrent searches cheap, since a scan
    /// is bound by memory bandwidth rather than arithmetic. Searches restricted to documents visit only those.
    /// </summary>
    /// <param name="requests">Requests of this store's dimension.</param>
    public List<VectorMatch>[] Search(IReadOnlyList<SearchRequest> requests)
    {
        var heaps = requests.Select(request => new PriorityQueue<int, float>(Math.Min(request.Limit, Count) + 1)).ToArray();
        var scanning = new List<int>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i].Filter.DocumentIds is { } documentIds)
            {
                SearchDocuments(requests[i], documentIds, heaps[i]);
            }
            else
            {
                scanning.Add(i);
            }
        }

        if (scanning.Count > 0)
        {
            Scan(requests, scanning, heaps);
        }

        return heaps.Select(ToMatches).ToArray();
    }

    private void Scan(IReadOnlyList<SearchRequest> requests, List<int> scanning, PriorityQueue<int, float>[] heaps)
    {
        // Requests go through the kernel four at a time; a short last group repeats its first query as padding.
        var groups = scanning.Chunk(MultiQueryDot.Width).ToArray();
        Span<float> scores = stackalloc float[MultiQueryDot.Width];
        Span<bool> matches = stackalloc bool[MultiQueryDot.Width];

        // A score must beat its request's threshold (the worst kept score once the heap is full) to touch the heap.
        var thresholds = new float[requests.Count];
        Array.Fill(thresholds, float.NegativeInfinity);
        for (var slot = 0; slot < Count; slot++)
        {
            ref readonly var point = ref _points[slot];
            var vector = new ReadOnlySpan<float>(_vectors, slot * Dimension, Dimension);
            foreach (var group in groups)
            {
                var anyMatch = false;
                for (var j = 0; j < group.Length; j++)
                {
                    var filter = requests[group[j]].Filter;
                    matches[j] = filter.MatchesEverything || filter.Matches(point.CollectionId, point.Tags);
                    anyMatch |= matches[j];
                }

                if (!anyMatch)
                {
                    continue;
                }

                MultiQueryDot.Compute(
                    vector,
                    requests[group[0]].Query,
                    requests[group[Math.Min(1, group.Length - 1)]].Query,
                    requests[group[Math.Min(2, group.Length - 1)]].Query,
                    requests[group[Math.Min(3, group.Length - 1)]].Query,
                    scores);
                for (var j = 0; j < group.Length; j++)
                {
                    var request = group[j];
                    if (matches[j] && scores[j] > thresholds[request])
                    {
                        var heap = heaps[request];
                        Offer(heap, requests[request].Limit, slot, scores[j]);
                        if (heap.Count == requests[request].Limit && heap.TryPeek(out _, out var worst))
                        {
                            thresholds[request] = worst;
                        }
                    }
                }
            }
        }
    }

    private void SearchDocuments(SearchRequest request, HashSet<Guid> documentIds, PriorityQueue<int, float> heap)
    {
        foreach (var documentId in documentIds)
        {
            if (!_chunksByDocument.TryGetValue(documentId, out var chunkIds))
            {
                continue;
            }

            foreach (var chunkId in chunkIds)
            {
                var slot = _slotByChunk[chunkId];
                if (request.Filter.Matches(_points[slot].CollectionId, _points[slot].Tags))
                {
                    Offer(heap, request.Limit, slot, TensorPrimitives.Dot(request.Query, new ReadOnlySpan<float>(_vectors, slot * Dimension, Dimension)));
                }
            }
        }
    }

    private static void Offer(PriorityQueue<int, float> heap, int limit, int slot, float score)
    {
        if (heap.Count < limit)
        {
            heap.Enqueue(slot, score);
        }
        else if (heap.TryPeek(out _, out var worst) && score > worst)
        {
            heap.DequeueEnqueue(slot, score);
        }
    }

    private List<VectorMatch> ToMatches(PriorityQueue<int, float> heap)
    {
        var matches = new List<VectorMatch>(heap.Count);
        while (heap.TryDequeue(out var slot, out var score))
        {
            matches.Add(new VectorMatch(_points[slot].ChunkId, _points[slot].DocumentId, score));
        }

        matches.Reverse();
        return matches;
    }

    private void RemoveChunk(Guid chunkId)
    {
        if (!_slotByChunk.Remove(chunkId, out var slot))
        {
            return;
        }

        ForgetChunkOfDocument(_points[slot].DocumentId, chunkId);
        var last = --Count;
        if (slot != last)
        {
            _points[slot] = _points[last];
            Array.Copy(_vectors, (long)last * Dimension, _vectors, (long)slot * Dimension, Dimension);
            _slotByChunk[_points[slot].ChunkId] = slot;
        }

        _points[last] = default;
    }

    private void ForgetChunkOfDocument(Guid documentId, Guid chunkId)
    {
        if (_chunksByDocument.TryGetValue(documentId, out var chunkIds) && chunkIds.Remove(chunkId) && chunkIds.Count == 0)
        {
            _chunksByDocument.Remove(documentId);
        }
    }

    private void EnsureCapacity(int count)
    {
        if (count <= _points.Length)
        {
            return;
        }

        var capacity = Math.Max(count, _points.Length * 2);
        Array.Resize(ref _points, capacity);
        Array.Resize(ref _vectors, checked(capacity * Dimension));
    }

    private readonly record struct PointMetadata(Guid ChunkId, Guid DocumentId, Guid CollectionId, string[] Tags);
}
