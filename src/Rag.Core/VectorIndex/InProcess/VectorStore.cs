using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// The points of one model and dimension: vectors L2-normalised in one contiguous array (so a dot product is
/// the cosine), the same vectors quantized to bytes in another (see <see cref="Int8Quantization"/>: a quarter
/// of the memory for a scan to read), metadata in a parallel array, each point's collection as a small ordinal
/// in another (what a scan's collection filter reads), and maps from chunk and document ids to slots. Deleting
/// moves the last point into the freed slot, so the live points are always slots [0, Count).
/// Not thread-safe: the index guards it with a reader/writer lock.
/// </summary>
internal sealed class VectorStore
{
    private const int InitialCapacity = 1024;

    // A scan keeps max(64, 4 × limit) candidates for exact rescoring: measured on 100,000 offline-embedder vectors
    // of 384 dimensions, that finds the exact top 20 (see the recall tests), and rescoring 80 costs little.
    private const int MinimumCandidates = 64;
    private const int Oversampling = 4;

    // Below this many points per core, a scan is quicker than handing part of it to another thread.
    private const int MinimumSlotsPerPartition = 16_384;

    private readonly Dictionary<Guid, int> _slotByChunk = [];
    private readonly Dictionary<Guid, HashSet<Guid>> _chunksByDocument = [];
    private readonly CollectionOrdinals _collections = new();
    private readonly int _rowLength;
    private float[] _vectors;
    private byte[] _quantized;
    private float[] _scales;
    private PointMetadata[] _points;
    private int[] _collectionOrdinalBySlot;

    public VectorStore(string model, int dimension)
    {
        Model = model;
        Dimension = dimension;
        _rowLength = Int8Quantization.RowLength(dimension);
        _vectors = new float[checked(InitialCapacity * dimension)];
        _quantized = new byte[checked(InitialCapacity * _rowLength)];
        _scales = new float[InitialCapacity];
        _points = new PointMetadata[InitialCapacity];
        _collectionOrdinalBySlot = new int[InitialCapacity];
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

    /// <summary>A copy of the chunk's stored (normalised) vector, or null when the store does not hold the chunk.</summary>
    public float[]? CopyVector(Guid chunkId) =>
        _slotByChunk.TryGetValue(chunkId, out var slot) ? _vectors.AsSpan(slot * Dimension, Dimension).ToArray() : null;

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
        _collectionOrdinalBySlot[slot] = _collections.GetOrAdd(point.CollectionId);
        var target = _vectors.AsSpan(slot * Dimension, Dimension);
        point.Vector.Span.CopyTo(target);
        var norm = TensorPrimitives.Norm(target);
        if (norm > 0)
        {
            TensorPrimitives.Divide(target, norm, target);
        }

        _scales[slot] = Int8Quantization.QuantizeStored(target, _quantized.AsSpan(slot * _rowLength, _rowLength));
    }

    /// <summary>
    /// Answers several searches with one pass over the quantized rows: each row is read from memory once and
    /// scored against every query while it is in cache, which is what makes concurrent searches cheap, since a
    /// scan is bound by memory bandwidth. The pass keeps each search's best <see cref="CandidateCount"/> by
    /// approximate score; those are then rescored exactly from the float vectors, so the results carry exact
    /// cosines and miss a true top match only when quantization error pushed it below every candidate kept.
    /// Searches restricted to documents visit only those, exactly.
    /// </summary>
    /// <param name="requests">Requests of this store's dimension.</param>
    public List<VectorMatch>[] Search(IReadOnlyList<SearchRequest> requests)
    {
        var results = new List<VectorMatch>[requests.Count];
        var scanning = new List<SearchRequest>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i].Filter.DocumentIds is { } documentIds)
            {
                results[i] = SearchDocuments(requests[i], documentIds);
            }
            else
            {
                scanning.Add(requests[i]);
            }
        }

        if (scanning.Count > 0)
        {
            var candidates = Scan(scanning);
            for (int i = 0, next = 0; i < requests.Count; i++)
            {
                results[i] ??= Rescore(scanning[next], candidates[next++]);
            }
        }

        return results;
    }

    /// <summary>How many approximate matches a scan keeps for exact rescoring.</summary>
    private int CandidateCount(int limit) => (int)Math.Min(Count, Math.Max(MinimumCandidates, (long)limit * Oversampling));

    // The slots are split into one range per core, scanned in parallel, each keeping its own candidates: a
    // scan is bound by memory bandwidth, so one pass for all the searches on every core reads the rows once
    // where a pass per core would read them once per core.
    private List<int>[] Scan(List<SearchRequest> requests)
    {
        var partitions = Math.Clamp(Count / MinimumSlotsPerPartition, 1, Environment.ProcessorCount);
        var groups = new ScanGroup[partitions][];
        Parallel.For(0, partitions, new ParallelOptions { MaxDegreeOfParallelism = partitions }, partition =>
        {
            groups[partition] = requests.Chunk(Int8MultiQueryDot.Width).Select(group => new ScanGroup(group, _collections.Ids, CandidateCount)).ToArray();
            Scan(groups[partition], (int)((long)Count * partition / partitions), (int)((long)Count * (partition + 1) / partitions));
        });

        // Each partition's groups hold the requests in order: gather every partition's candidates per request.
        var candidates = requests.Select(_ => new List<int>()).ToArray();
        foreach (var partition in groups)
        {
            var next = 0;
            foreach (var queue in partition.SelectMany(group => group.Candidates))
            {
                candidates[next++].AddRange(queue.UnorderedItems.Select(item => item.Element));
            }
        }

        return candidates;
    }

    private void Scan(ScanGroup[] groups, int start, int end)
    {
        for (var slot = start; slot < end; slot++)
        {
            var row = new ReadOnlySpan<byte>(_quantized, slot * _rowLength, _rowLength);
            var scale = Vector128.Create(_scales[slot]);
            foreach (var group in groups)
            {
                var admitted = group.Filtered ? Admits(group, slot) : group.LanesInUse;
                if (admitted == Vector128<int>.Zero)
                {
                    continue;
                }

                var dots = group.Count > 2
                    ? Int8MultiQueryDot.Compute(row, group.Q0, group.Q1, group.Q2, group.Q3)
                    : Int8MultiQueryDot.ComputeFew(row, group.Q0, group.Count == 2 ? group.Q1 : null);
                group.Offer(slot, Vector128.ConvertToSingle(dots - group.Offsets) * scale, admitted);
            }
        }
    }

    // The collection ordinal is one int per point; the metadata (56 bytes) is read only for tag filters.
    private Vector128<int> Admits(ScanGroup group, int slot)
    {
        var lanes = group.AdmitsCollection(_collectionOrdinalBySlot[slot]);
        return group.HasTagFilters && lanes != Vector128<int>.Zero ? group.AdmitsTags(lanes, _points[slot].Tags) : lanes;
    }

    private List<VectorMatch> Rescore(SearchRequest request, List<int> candidates)
    {
        var heap = new PriorityQueue<int, float>(Math.Min(request.Limit, candidates.Count) + 1);
        foreach (var slot in candidates)
        {
            Offer(heap, request.Limit, slot, ExactScore(request, slot));
        }

        return ToMatches(heap);
    }

    private List<VectorMatch> SearchDocuments(SearchRequest request, HashSet<Guid> documentIds)
    {
        var heap = new PriorityQueue<int, float>();
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
                    Offer(heap, request.Limit, slot, ExactScore(request, slot));
                }
            }
        }

        return ToMatches(heap);
    }

    private float ExactScore(SearchRequest request, int slot) =>
        TensorPrimitives.Dot(request.Query, new ReadOnlySpan<float>(_vectors, slot * Dimension, Dimension));

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
            _collectionOrdinalBySlot[slot] = _collectionOrdinalBySlot[last];
            Array.Copy(_vectors, (long)last * Dimension, _vectors, (long)slot * Dimension, Dimension);
            Array.Copy(_quantized, (long)last * _rowLength, _quantized, (long)slot * _rowLength, _rowLength);
            _scales[slot] = _scales[last];
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

    /// <summary>Gives back the spare capacity that growing by doubling left (up to half the arrays after a bulk load).</summary>
    public void TrimExcess()
    {
        var capacity = Math.Max(Count, InitialCapacity);
        if (capacity < _points.Length)
        {
            Array.Resize(ref _points, capacity);
            Array.Resize(ref _collectionOrdinalBySlot, capacity);
            Array.Resize(ref _vectors, capacity * Dimension);
            Array.Resize(ref _quantized, capacity * _rowLength);
            Array.Resize(ref _scales, capacity);
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
        Array.Resize(ref _collectionOrdinalBySlot, capacity);
        Array.Resize(ref _vectors, checked(capacity * Dimension));
        Array.Resize(ref _quantized, checked(capacity * _rowLength));
        Array.Resize(ref _scales, capacity);
    }

    private readonly record struct PointMetadata(Guid ChunkId, Guid DocumentId, Guid CollectionId, string[] Tags);
}
