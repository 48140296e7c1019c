namespace Rag.Core.VectorIndex;

/// <summary>
/// The index cannot answer yet (the in-process index is still loading at start). Searching anyway would return
/// full-text matches only, which a caller could not tell from a real hybrid result; the API answers 503 instead.
/// </summary>
public sealed class VectorIndexNotReadyException(string message) : InvalidOperationException(message);
