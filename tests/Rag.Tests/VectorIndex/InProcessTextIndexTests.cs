using Rag.Core.VectorIndex;
using Rag.Core.VectorIndex.InProcess;

namespace Rag.Tests.VectorIndex;

public sealed class InProcessTextIndexTests
{
    private static readonly Guid CollectionA = Guid.NewGuid();
    private static readonly Guid CollectionB = Guid.NewGuid();

    [Fact]
    public void ChunksWithAnyOfTheWordsMatchAndTheRarerWordWeighsMore()
    {
        using var index = new InProcessTextIndex();
        var documentId = Guid.NewGuid();
        var common = Enumerable.Range(0, 20).Select(i => Entry(documentId, CollectionA, [], ("vacuum", 1), ("filler" + i, 3))).ToList();
        var rare = Entry(documentId, CollectionA, [], ("checkpoint", 1), ("other", 3));
        var neither = Entry(documentId, CollectionA, [], ("unrelated", 4));
        index.Load([.. common, rare, neither]);

        var matches = index.Search(["vacuum", "checkpoint"], limit: 50, VectorFilter.None);

        Assert.Equal(21, matches.Count);
        Assert.Equal(rare.ChunkId, matches[0].ChunkId);
        Assert.DoesNotContain(matches, match => match.ChunkId == neither.ChunkId);
        Assert.True(matches[0].Score > matches[1].Score);
    }

    [Fact]
    public void MoreOccurrencesAndShorterChunksRankHigherWithSaturation()
    {
        using var index = new InProcessTextIndex();
        var documentId = Guid.NewGuid();
        var once = Entry(documentId, CollectionA, [], ("replication", 1), ("padding", 9));
        var thrice = Entry(documentId, CollectionA, [], ("replication", 3), ("padding", 7));
        var onceShort = Entry(documentId, CollectionA, [], ("replication", 1), ("brief", 1));
        var unrelated = Enumerable.Range(0, 10).Select(i => Entry(documentId, CollectionA, [], ("noise" + i, 10)));
        index.Load([once, thrice, onceShort, .. unrelated]);

        var matches = index.Search(["replication"], limit: 10, VectorFilter.None);

        Assert.Equal([thrice.ChunkId, onceShort.ChunkId, once.ChunkId], matches.Select(match => match.ChunkId));
        // BM25 saturates: three occurrences score well under three times one.
        Assert.True(matches[0].Score < 3 * matches[2].Score);
    }

    [Fact]
    public void FiltersRestrictToCollectionsDocumentsAndTags()
    {
        using var index = new InProcessTextIndex();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        var inA = Entry(first, CollectionA, ["manual"], ("index", 1));
        var inATagged = Entry(first, CollectionA, ["release-notes"], ("index", 1));
        var inB = Entry(second, CollectionB, ["manual"], ("index", 1));
        index.Load([inA, inATagged, inB]);

        Assert.Equal([inB.ChunkId], Ids(index.Search(["index"], 10, new VectorFilter(CollectionIds: [CollectionB]))));
        Assert.Equal(
            new[] { inA.ChunkId, inATagged.ChunkId }.Order(),
            Ids(index.Search(["index"], 10, new VectorFilter(DocumentIds: [first]))).Order());
        Assert.Equal(
            new[] { inA.ChunkId, inB.ChunkId }.Order(),
            Ids(index.Search(["index"], 10, new VectorFilter(Tags: ["manual"]))).Order());
        Assert.Empty(index.Search(["index"], 10, new VectorFilter(CollectionIds: [CollectionB], DocumentIds: [first])));
    }

    [Fact]
    public void ReplacingADocumentForgetsItsOldChunksAndDeletingForgetsTheRest()
    {
        using var index = new InProcessTextIndex();
        var documentId = Guid.NewGuid();
        var other = Entry(Guid.NewGuid(), CollectionA, [], ("wal", 1));
        index.Load([Entry(documentId, CollectionA, [], ("wal", 2)), other]);

        var replacement = Entry(documentId, CollectionA, [], ("archive", 1));
        index.ReplaceDocument(documentId, [replacement]);

        Assert.Equal([other.ChunkId], Ids(index.Search(["wal"], 10, VectorFilter.None)));
        Assert.Equal([replacement.ChunkId], Ids(index.Search(["archive"], 10, VectorFilter.None)));
        Assert.Equal(2, index.Count);

        index.DeleteDocument(documentId);
        Assert.Empty(index.Search(["archive"], 10, VectorFilter.None));
        Assert.Equal(1, index.Count);
        Assert.Throws<ArgumentException>(() => index.ReplaceDocument(documentId, [other]));
    }

    [Fact]
    public void ADocumentIndexedAgainAndAgainStillScoresAboveZero()
    {
        using var index = new InProcessTextIndex();
        var documentId = Guid.NewGuid();
        var other = Entry(Guid.NewGuid(), CollectionA, [], ("archive", 1));
        index.Load([other]);

        // Fewer dead entries than a compaction waits for, but more postings of "wal" than live chunks.
        TextIndexEntry latest = null!;
        for (var version = 0; version < 20; version++)
        {
            latest = Entry(documentId, CollectionA, [], ("wal", 1), ("archive", 1));
            index.ReplaceDocument(documentId, [latest]);
        }

        var matches = index.Search(["wal", "archive"], 10, VectorFilter.None);

        Assert.Equal([latest.ChunkId, other.ChunkId], Ids(matches));
        Assert.All(matches, match => Assert.True(match.Score > 0, $"Score {match.Score} of {match.ChunkId}"));
    }

    [Fact]
    public void ManyReplacementsCompactWithoutChangingAnswers()
    {
        using var index = new InProcessTextIndex();
        using var fresh = new InProcessTextIndex();
        var random = new Random(3);
        var documents = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();
        var latest = new Dictionary<Guid, List<TextIndexEntry>>();
        string[] words = ["heap", "toast", "lock", "latch", "tuple", "page", "xid", "clog"];
        index.Load([]);

        // 50 documents re-indexed 40 times with 10 chunks each: far more dead entries than live ones along the way.
        for (var round = 0; round < 40; round++)
        {
            foreach (var documentId in documents)
            {
                var entries = Enumerable.Range(0, 10)
                    .Select(_ => Entry(documentId, CollectionA, [], (words[random.Next(words.Length)], random.Next(1, 4)), (words[random.Next(words.Length)], 1)))
                    .ToList();
                index.ReplaceDocument(documentId, entries);
                latest[documentId] = entries;
            }
        }

        fresh.Load(latest.Values.SelectMany(entries => entries));
        Assert.Equal(500, index.Count);
        foreach (var word in words)
        {
            var expected = fresh.Search([word], 500, VectorFilter.None);
            var actual = index.Search([word], 500, VectorFilter.None);
            Assert.Equal(Ids(expected).Order(), Ids(actual).Order());
        }
    }

    private static TextIndexEntry Entry(Guid documentId, Guid collectionId, string[] tags, params (string Lexeme, int Count)[] lexemes) =>
        new(Guid.NewGuid(), documentId, collectionId, tags, [.. lexemes.Select(l => new LexemeCount(l.Lexeme, l.Count))]);

    private static IEnumerable<Guid> Ids(IReadOnlyList<TextMatch> matches) => matches.Select(match => match.ChunkId);
}
