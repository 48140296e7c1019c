namespace Rag.Core.VectorIndex;

/// <summary>
/// A vector index outside the services' processes (Qdrant), written by the ingestion workers. When none is
/// configured, each API replica keeps its own in-process index current from PostgreSQL instead.
/// </summary>
public interface ISharedVectorIndex : IVectorIndex;
