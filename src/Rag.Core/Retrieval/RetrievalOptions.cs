using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Retrieval;

// "Retrieval": {
//   "RankConstant": 5,
//   "VectorWeight": 1.0,
//   "TextWeight": 3.0,        (unset: the full-text search's own weight)
//   "MinCandidates": 20,
//   "MmrLambda": 0.7
// }
public sealed class RetrievalOptions
{
    public const string SectionName = "Retrieval";

    /// <summary>
    /// Reciprocal rank fusion's k: larger values flatten the difference between the first ranks. 5 rather than the
    /// customary 60: with candidate lists of a few dozen from two good retrievers, the first ranks should count. On the
    /// PostgreSQL documentation question set (bench retrieval-eval) k = 5 is the setting at which hybrid is at least as
    /// good as the better retriever on both recall@5 and MRR, with either full-text search (docs/performance.md).
    /// </summary>
    [Range(1, 1_000)]
    public int RankConstant { get; set; } = 5;

    /// <summary>How much a vector rank counts in fusion, relative to <see cref="TextWeight"/>.</summary>
    [Range(0.0, 10.0)]
    public double VectorWeight { get; set; } = 1.0;

    /// <summary>
    /// How much a full-text rank counts in fusion, relative to <see cref="VectorWeight"/>. Unset, the full-text search
    /// in use says (<see cref="IFullTextSearch.FusionWeight"/>), because the two rank so differently: on the PostgreSQL
    /// documentation question set (bench retrieval-eval) BM25 beats the offline embedder and ts_rank_cd trails it.
    /// </summary>
    [Range(0.0, 10.0)]
    public double? TextWeight { get; set; }

    /// <summary>Each retriever returns at least this many candidates (and four times top_k) before fusion.</summary>
    [Range(1, 1_000)]
    public int MinCandidates { get; set; } = 20;

    /// <summary>Maximal marginal relevance trade-off when diversifying: 1 ranks by relevance only, 0 by novelty only.</summary>
    [Range(0.0, 1.0)]
    public double MmrLambda { get; set; } = 0.7;
}
