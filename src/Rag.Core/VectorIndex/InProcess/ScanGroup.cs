using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Up to four searches scanned together through <see cref="Int8MultiQueryDot"/>: their queries, and each one's
/// best candidates so far. Per point, the common case (no score good enough) costs one vector comparison.
/// </summary>
internal sealed class ScanGroup
{
    private readonly SearchRequest[] _requests;
    private readonly int[] _limits;
    private readonly PriorityQueue<int, float>[] _candidates;

    // Lane j: the approximate score a point must beat to become a candidate of search j, that is the worst kept
    // once its candidates are full. Lanes of absent searches hold +infinity, so nothing ever beats them.
    private Vector128<float> _thresholds;

    /// <param name="requests">One to four searches.</param>
    /// <param name="candidateCount">How many candidates to keep for a search of a given limit.</param>
    public ScanGroup(SearchRequest[] requests, Func<int, int> candidateCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(requests.Length, Int8MultiQueryDot.Width);
        ArgumentOutOfRangeException.ThrowIfZero(requests.Length);
        _requests = requests;
        _limits = requests.Select(request => candidateCount(request.Limit)).ToArray();
        _candidates = _limits.Select(limit => new PriorityQueue<int, float>(limit + 1)).ToArray();
        Filtered = requests.Any(request => !request.Filter.MatchesEverything);

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

    public sbyte[] Q0 { get; }

    public sbyte[] Q1 { get; }

    public sbyte[] Q2 { get; }

    public sbyte[] Q3 { get; }

    /// <summary>What the stored rows' offset adds to each query's dot products (see <see cref="Int8Quantization"/>).</summary>
    public Vector128<int> Offsets { get; }

    public IReadOnlyList<PriorityQueue<int, float>> Candidates => _candidates;

    /// <summary>Whether any search of the group has a filter; if not, every point is admitted.</summary>
    public bool Filtered { get; }

    /// <summary>
    /// Bits set for the searches whose filters admit a point of <paramref name="collectionId"/> and
    /// <paramref name="tags"/>, as a lane mask.
    /// </summary>
    public Vector128<int> Admits(Guid collectionId, string[] tags)
    {
        return Vector128.Create(Lane(0), Lane(1), Lane(2), Lane(3));

        int Lane(int j) => j < _requests.Length && _requests[j].Filter.Matches(collectionId, tags) ? -1 : 0;
    }

    /// <param name="scores">Approximate scores of the point in <paramref name="slot"/> for each search.</param>
    /// <param name="admitted">From <see cref="Admits"/>.</param>
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
