using Rag.Core.Chunking;

namespace Rag.Tests.Chunking;

public class ChunkingOptionsTests
{
    [Fact]
    public void TheDefaultsAreValid()
    {
        ChunkingOptions.Default.EnsureValid();
        Assert.Equal((512, 64), (ChunkingOptions.Default.MaxTokens, ChunkingOptions.Default.OverlapTokens));
    }

    [Theory]
    [InlineData(64, 32, "OverlapTokens")]
    [InlineData(64, -1, "OverlapTokens")]
    [InlineData(8, 0, "MaxTokens")]
    public void OptionsThatCannotProduceChunksAreRejected(int maxTokens, int overlapTokens, string member)
    {
        var error = Assert.Throws<ArgumentException>(() => new ChunkingOptions { MaxTokens = maxTokens, OverlapTokens = overlapTokens }.EnsureValid());
        Assert.Equal(member, error.ParamName);
    }
}
