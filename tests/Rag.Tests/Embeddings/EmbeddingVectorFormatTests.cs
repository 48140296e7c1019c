using Rag.Core.Embeddings;

namespace Rag.Tests.Embeddings;

public class EmbeddingVectorFormatTests
{
    [Fact]
    public void ValuesAreLittleEndianFloat32BackToBack()
    {
        var bytes = EmbeddingVectorFormat.Encode([1.0f, -2.5f]);

        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0 }, bytes);
    }

    [Fact]
    public void DecodingUndoesEncoding()
    {
        float[] vector = [0.1f, float.Epsilon, -0f, 123456.789f, float.MaxValue];

        Assert.Equal(vector, EmbeddingVectorFormat.Decode(EmbeddingVectorFormat.Encode(vector)));
        Assert.Empty(EmbeddingVectorFormat.Decode([]));
    }

    [Fact]
    public void APartialValueIsRejected()
    {
        Assert.Throws<FormatException>(() => EmbeddingVectorFormat.Decode(new byte[7]));
    }
}
