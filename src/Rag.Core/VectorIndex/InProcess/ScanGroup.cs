using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Up to four searches scanned together through <see cref="Int8MultiQueryDot"/>: their queries, their filters
/// turned into lane masks, and each one's best candidates so far. Per point, the common case (no score good
/// enough) costs one vector comparison, and a collection filter one array read.
/// </summary>
internal sealed class ScanGroup
{
    private readonly SearchRequest[] _requests;
    private readonly int[] _limits;
    private readonly PriorityQueue<int, float>[] _candidates;

    // Per collection ordinal of the store, the lanes whose filters admit that collection: null when every
    // search of the group admits every collection, so that such filters cost nothing per point.
    private readonly Vector128<int>[]? _lanesByCollection;

    // Lane j: the approximate score a point must beat to become a candidate of search j, that is the worst kept
    // once its candidates are full. Lanes of absent searches hold +infinity, so nothing ever beats them.
    private Vector128<float> _thresholds;

    /// <param name="requests">One to four searches.</param>
    /// <param name="collections">The store's collections, by ordinal.</param>
    /// <param name="candidateCount">How many candidates to keep for a search of a given limit.</param>
    public ScanGroup(SearchRequest[] requests, IReadOnlyList<Guid> collections, Func<int, int> candidateCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(requests.Length, Int8MultiQueryDot.Width);
        ArgumentOutOfRangeException.ThrowIfZero(requests.Length);
        _requests = requests;
        _limits = requests.Select(request => candidateCount(request.Limit)).ToArray();
        _candidates = _limits.Select(limit => new PriorityQueue<int, float>(limit + 1)).ToArray();
        HasTagFilters = requests.Any(request => request.Filter.HasTags);
        var lanesByCollection = collections.Select(collection => LaneMask(j => _requests[j].Filter.AdmitsCollection(collection))).ToArray();
        LanesInUse = LaneMask(_ => true);
        _lanesByCollection = lanesByCollection.All(lanes => lanes == LanesInUse) ? null : lanesByCollection;

        // Absent searches repeat the last one's query, which the kernel needs, but never keep a candidate.
        var padded = Enumerable.Range(0, Int8MultiQueryDot.Width).Select(j => requests[Math.Min(j, requests.Length - 1)].QuantizedQuery).ToArray();
        (Q0, Q1, Q2, Q3) = (padded[0].Values, padded[1].Values, padded[2].Values, padded[3].Values);
        Offsets = Vector128.Create(padded[0].Offset, padded[1].Offset, padded[2].Offset, padded[3].Offset);
        _thresholds = Vector128.Create(
            float.NegativeInfinity,
            requests.Length > 1 ? float.NegativeInfinity : float.PositiveInfinity,
            requests.Length > 2 ? float.NegativeInfinity : float.PositiveInfinity,
            requests.Length > 3 ? float.NegativeInfinity : float.PositiveInfinity);
    }

    /// <summary>How many searches the group holds (the lanes past them are padding).</summary>
    public int Count => _requests.Length;

    public sbyte[] Q0 { get; }

    public sbyte[] Q1 { get; }

    public sbyte[] Q2 { get; }

    public sbyte[] Q3 { get; }

    /// <summary>What the stored rows' offset adds to each query's dot products (see <see cref="Int8Quantization"/>).</summary>
    public Vector128<int> Offsets { get; }

    public IReadOnlyList<PriorityQueue<int, float>> Candidates => _candidates;

    /// <summary>Bits set for the lanes that hold a search.</summary>
    public Vector128<int> LanesInUse { get; }

    /// <summary>Whether any point could be refused by the group's filters; if not, <see cref="AdmitsCollection"/> need not be asked.</summary>
    public bool Filtered => _lanesByCollection is not null || HasTagFilters;

    /// <summary>Whether any search of the group filters by tags, so that <see cref="AdmitsTags"/> must be asked.</summary>
    public bool HasTagFilters { get; }

    /// <summary>Bits set for the searches whose filters admit a point of the collection of this ordinal, as a lane mask.</summary>
    public Vector128<int> AdmitsCollection(int collectionOrdinal) =>
        _lanesByCollection is null ? LanesInUse : _lanesByCollection[collectionOrdinal];

    /// <returns>The lanes of <paramref name="lanes"/> whose searches' filters admit a point with these tags.</returns>
    public Vector128<int> AdmitsTags(Vector128<int> lanes, string[] tags)
    {
        for (var j = 0; j < _requests.Length; j++)
        {
            if (lanes[j] != 0 && !_requests[j].Filter.AdmitsTags(tags))
            {
                lanes = lanes.WithElement(j, 0);
            }
        }

        return lanes;
    }

    private Vector128<int> LaneMask(Func<int, bool> admits)
    {
        return Vector128.Create(Lane(0), Lane(1), Lane(2), Lane(3));

        int Lane(int j) => j < _requests.Length && admits(j) ? -1 : 0;
    }

    /// <param name="scores">Approximate scores of the point in <paramref name="slot"/> for each search.</param>
    /// <param name="admitted">From <see cref="AdmitsCollection"/> and <see cref="AdmitsTags"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Offer(int slot, Vector128<float> scores, Vector128<int> admitted)
    {
        var better = (Vector128.GreaterThan(scores, _thresholds).AsInt32() & admitted).ExtractMostSignificantBits();
        if (better != 0)
        {
            Keep(slot, scores, better);
        }
    }

    private void Keep(int slot, Vector128<float> scores, uint better)
    {
        while (better != 0)
        {
            var j = BitOperations.TrailingZeroCount(better);
            better &= better - 1;
            var candidates = _candidates[j];
            if (candidates.Count < _limits[j])
            {
                candidates.Enqueue(slot, scores[j]);
            }
            else
            {
                candidates.DequeueEnqueue(slot, scores[j]);
            }

            if (candidates.Count == _limits[j] && candidates.TryPeek(out _, out var worst))
            {
                _thresholds = _thresholds.WithElement(j, worst);
            }
        }
    }
}
