using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Ingestion;

// "Ingestion": {
//   "Concurrency": 2,
//   "EmbeddingBatchSize": 64,
//   "ShutdownGracePeriod": "00:00:20"
// }
public sealed class IngestionOptions
{
    public const string SectionName = "Ingestion";

    /// <summary>Jobs one worker process runs at once.</summary>
    [Range(1, 64)]
    public int Concurrency { get; set; } = Math.Max(1, Environment.ProcessorCount);

    [Range(1, 2048)]
    public int EmbeddingBatchSize { get; set; } = 64;

    /// <summary>On shutdown, how long jobs in hand may run on before they are released to another worker.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(20);
}
