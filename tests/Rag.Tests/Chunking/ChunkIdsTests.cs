using Rag.Core.Chunking;

namespace Rag.Tests.Chunking;

public class ChunkIdsTests
{
    private static readonly Guid DocumentId = new("3f2504e0-4f89-41d3-9a0c-0305e82c3301");

    [Fact]
    public void TheSameDocumentVersionAndOrdinalGiveTheSameId()
    {
        Assert.Equal(ChunkIds.Create(DocumentId, 2, 7), ChunkIds.Create(new Guid(DocumentId.ToString()), 2, 7));
    }

    [Fact]
    public void AnyDifferenceGivesADifferentId()
    {
        var ids = new[]
        {
            ChunkIds.Create(DocumentId, 1, 0),
            ChunkIds.Create(DocumentId, 2, 0),
            ChunkIds.Create(DocumentId, 1, 1),
            ChunkIds.Create(Guid.NewGuid(), 1, 0),
        };

        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void IdsAreVersion8RfcVariantUuids()
    {
        var id = ChunkIds.Create(DocumentId, 1, 0);

        Assert.Equal(8, id.Version);
        Assert.Equal('8', id.ToString()[14]);
        Assert.Contains(id.ToString()[19], "89ab");
    }
}
