namespace Rag.Core.VectorIndex.InProcess;

/// <summary>One caller's search, waiting to be answered by a shared scan.</summary>
internal sealed class SearchRequest(float[] query, int limit, CompiledFilter filter, CancellationToken cancellationToken)
{
    /// <summary>L2-normalised.</summary>
    public float[] Query { get; } = query;

    /// <summary>The query as the scan kernel wants it (see <see cref="Int8Quantization.QuantizeQuery"/>).</summary>
    public QuantizedQuery QuantizedQuery { get; } = Int8Quantization.QuantizeQuery(query);

    public int Limit { get; } = limit;

    public CompiledFilter Filter { get; } = filter;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    // Asynchronous continuations: the scanning thread must not run the callers' code inline.
    public TaskCompletionSource<IReadOnlyList<VectorMatch>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
