using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Retrieval;

// "Retrieval": {
//   "RankConstant": 60,
//   "VectorWeight": 1.0,
//   "TextWeight": 1.0,
//   "MinCandidates": 20,
//   "MmrLambda": 0.7
// }
public sealed class RetrievalOptions
{
    public const string SectionName = "Retrieval";

    /// <summary>Reciprocal rank fusion's k: larger values flatten the difference between the first ranks.</summary>
    [Range(1, 1_000)]
    public int RankConstant { get; set; } = 60;

    /// <summary>How much a vector rank counts in fusion, relative to <see cref="TextWeight"/>.</summary>
    [Range(0.0, 10.0)]
    public double VectorWeight { get; set; } = 1.0;

    [Range(0.0, 10.0)]
    public double TextWeight { get; set; } = 1.0;

    /// <summary>Each retriever returns at least this many candidates (and four times top_k) before fusion.</summary>
    [Range(1, 1_000)]
    public int MinCandidates { get; set; } = 20;

    /// <summary>Maximal marginal relevance trade-off when diversifying: 1 ranks by relevance only, 0 by novelty only.</summary>
    [Range(0.0, 1.0)]
    public double MmrLambda { get; set; } = 0.7;
}
