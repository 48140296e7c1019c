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

    [Fact]
    public void RankingEqualsPlainBm25OverEveryLiveChunk()
    {
        // Enough chunks for several of the blocks the index scores at a time, in two collections, with some deleted.
        using var index = new InProcessTextIndex();
        var random = new Random(11);
        var words = Enumerable.Range(0, 300).Select(i => $"w{i}").ToArray();
        var documents = Enumerable.Range(0, 130).Select(d => (Id: Guid.NewGuid(), Collection: d % 3 == 0 ? CollectionB : CollectionA)).ToList();
        var entries = documents.SelectMany(document => Enumerable.Range(0, 100).Select(_ => Entry(
            document.Id,
            document.Collection,
            [],
            [.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => words[random.Next(words.Length)]).Distinct().Select(word => (word, random.Next(1, 5)))])))
            .ToList();
        index.Load(entries);
        var deleted = documents.Where((_, d) => d % 10 == 0).Select(document => document.Id).ToHashSet();
        foreach (var documentId in deleted)
        {
            index.DeleteDocument(documentId);
        }

        var live = entries.Where(entry => !deleted.Contains(entry.DocumentId)).ToList();
        var averageLength = live.Average(entry => entry.Lexemes.Sum(l => l.Count));

        // Document frequencies count every indexed chunk until dead ones are compacted away (as the index documents).
        var documentFrequencies = entries.SelectMany(entry => entry.Lexemes.Select(l => l.Lexeme).Distinct()).CountBy(lexeme => lexeme)
            .ToDictionary(pair => pair.Key, pair => Math.Min(pair.Value, live.Count));
        for (var query = 0; query < 20; query++)
        {
            string[] lexemes = [.. Enumerable.Range(0, random.Next(1, 5)).Select(_ => words[random.Next(words.Length)]).Distinct()];
            var collections = query % 2 == 0 ? null : new[] { CollectionA };
            var actual = index.Search(lexemes, 25, new VectorFilter(CollectionIds: collections));

            var expected = live
                .Where(entry => collections is null || collections.Contains(entry.CollectionId))
                .Select(entry => (entry.ChunkId, Score: PlainBm25(entry, lexemes, live.Count, averageLength, documentFrequencies)))
                .Where(scored => scored.Score > 0)
                .OrderByDescending(scored => scored.Score).ThenBy(scored => scored.ChunkId)
                .Take(25)
                .ToList();
            Assert.Equal(expected.Select(e => e.ChunkId), Ids(actual));
            Assert.All(expected.Zip(actual), pair => Assert.Equal(pair.First.Score, pair.Second.Score, 1e-4));
        }
    }

    private static double PlainBm25(TextIndexEntry entry, string[] lexemes, int liveCount, double averageLength, Dictionary<string, int> documentFrequencies)
    {
        const double k1 = 1.2, b = 0.75;
        var length = entry.Lexemes.Sum(l => l.Count);
        var score = 0.0;
        foreach (var lexeme in lexemes)
        {
            var frequency = entry.Lexemes.Where(l => l.Lexeme == lexeme).Sum(l => l.Count);
            if (frequency > 0)
            {
                var idf = Math.Log(1 + ((liveCount - documentFrequencies[lexeme] + 0.5) / (documentFrequencies[lexeme] + 0.5)));
                score += idf * frequency * (k1 + 1) / (frequency + (k1 * (1 - b + (b * length / averageLength))));
            }
        }

        return score;
    }

    private static TextIndexEntry Entry(Guid documentId, Guid collectionId, string[] tags, params (string Lexeme, int Count)[] lexemes) =>
        new(Guid.NewGuid(), documentId, collectionId, tags, [.. lexemes.Select(l => new LexemeCount(l.Lexeme, l.Count))]);

    private static IEnumerable<Guid> Ids(IReadOnlyList<TextMatch> matches) => matches.Select(match => match.ChunkId);
}
