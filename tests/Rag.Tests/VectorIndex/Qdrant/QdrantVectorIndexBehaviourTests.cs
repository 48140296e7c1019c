using Rag.Core.VectorIndex;

namespace Rag.Tests.VectorIndex.Qdrant;

// The behaviour every IVectorIndex owes its callers, here from Qdrant's REST implementation against the
// contract-checking double; any request that broke Qdrant's OpenAPI schema fails the test that sent it.
public sealed class QdrantVectorIndexBehaviourTests(QdrantDoubleFixture qdrant)
    : VectorIndexBehaviourTests, IClassFixture<QdrantDoubleFixture>, IAsyncLifetime
{
    protected override Task<IVectorIndex> CreateIndexAsync() => qdrant.CreateIndexAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Assert.Empty(qdrant.Qdrant.Violations);
        return Task.CompletedTask;
    }
}
