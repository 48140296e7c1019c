using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Retrieval;

// "Retrieval": {
//   "RankConstant": 20,
//   "VectorWeight": 2.0,
//   "TextWeight": 1.0,
//   "MinCandidates": 20,
//   "MmrLambda": 0.7
// }
public sealed class RetrievalOptions
{
    public const string SectionName = "Retrieval";

    /// <summary>
    /// Reciprocal rank fusion's k: larger values flatten the difference between the first ranks. 20 rather than the
    /// customary 60: with candidate lists of a few dozen, the first ranks should count (see <see cref="VectorWeight"/>).
    /// </summary>
    [Range(1, 1_000)]
    public int RankConstant { get; set; } = 20;

    /// <summary>
    /// How much a vector rank counts in fusion, relative to <see cref="TextWeight"/>. Twice as much by default: on the
    /// PostgreSQL documentation question set (bench retrieval-eval) the offline embedder, which already matches words,
    /// word pairs and spellings, ranks better than any-word full-text search, and equal weights with k = 60 let the
    /// weaker retriever push the right page down (MRR 0.62 against the vector retriever's 0.64; 0.65–0.66 at 2:1, k = 20).
    /// </summary>
    [Range(0.0, 10.0)]
    public double VectorWeight { get; set; } = 2.0;

    [Range(0.0, 10.0)]
    public double TextWeight { get; set; } = 1.0;

    /// <summary>Each retriever returns at least this many candidates (and four times top_k) before fusion.</summary>
    [Range(1, 1_000)]
    public int MinCandidates { get; set; } = 20;

    /// <summary>Maximal marginal relevance trade-off when diversifying: 1 ranks by relevance only, 0 by novelty only.</summary>
    [Range(0.0, 1.0)]
    public double MmrLambda { get; set; } = 0.7;
}
