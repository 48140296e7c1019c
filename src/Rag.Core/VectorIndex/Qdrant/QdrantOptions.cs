using System.ComponentModel.DataAnnotations;

namespace Rag.Core.VectorIndex.Qdrant;

// Where Qdrant is comes from ConnectionStrings:qdrant_http; how we use it comes from here:
// "Qdrant": { "CollectionName": "rag_chunks", "UpsertBatchSize": 256, "RequestTimeout": "00:01:00" }
public sealed class QdrantOptions
{
    public const string SectionName = "Qdrant";

    [Required, RegularExpression("^[A-Za-z0-9_-]{1,255}$", ErrorMessage = "Qdrant:CollectionName may hold letters, digits, '_' and '-' only.")]
    public string CollectionName { get; set; } = "rag_chunks";

    // Points per upsert request: large enough to amortise round trips, small enough to stay far below
    // Qdrant's 32 MiB request limit at 3072 dimensions.
    [Range(1, 2048)]
    public int UpsertBatchSize { get; set; } = 256;

    // One HTTP attempt's budget, covering a write that waits (?wait=true) until Qdrant has applied it.
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(1);
}
