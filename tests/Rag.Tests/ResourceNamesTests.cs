using Rag.Core;

namespace Rag.Tests;

public class ResourceNamesTests
{
    [Fact]
    public void QdrantHttpConnectionFollowsAspireEndpointSuffixConvention()
    {
        Assert.Equal(ResourceNames.Qdrant + "_http", ResourceNames.QdrantHttpConnection);
    }
}
