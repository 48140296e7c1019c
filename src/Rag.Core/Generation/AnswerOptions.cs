using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Generation;

// "Answers": {
//   "DefaultMaxResults": 5,
//   "DefaultThreshold": 0.15,
//   "CacheDuration": "01:00:00",
//   "HistoryTurns": 3
// }
public sealed class AnswerOptions
{
    public const string SectionName = "Answers";

    [Range(1, 20)]
    public int DefaultMaxResults { get; set; } = 5;

    /// <summary>
    /// The least query-passage cosine similarity a passage needs. Calibrated for the offline embedder, whose unrelated
    /// texts score near 0.05 and passages sharing the question's key words 0.2 and more; a semantic model needs its own.
    /// </summary>
    [Range(0.0, 1.0)]
    public double DefaultThreshold { get; set; } = 0.15;

    /// <summary>How long an answer is reused for the same question and scope; any index change ends it sooner.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many earlier question-answer turns a model sees when condensing a follow-up.</summary>
    [Range(1, 20)]
    public int HistoryTurns { get; set; } = 3;
}
