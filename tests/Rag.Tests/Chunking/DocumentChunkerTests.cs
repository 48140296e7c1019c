using Rag.Core.Chunking;
using Rag.Core.Extraction;

namespace Rag.Tests.Chunking;

public class DocumentChunkerTests
{
    private static readonly ChunkingOptions Small = new() { MaxTokens = 64, OverlapTokens = 16 };
    private static readonly ChunkingOptions SmallWithoutOverlap = new() { MaxTokens = 64, OverlapTokens = 0 };

    [Fact]
    public void EveryHeadingStartsANewChunk()
    {
        var document = new ExtractedDocument("Guide",
        [
            Heading("Install", ["Install"]),
            Paragraph("Run the installer.", ["Install"]),
            Heading("Configure", ["Configure"]),
            Paragraph("Edit the settings file.", ["Configure"]),
            Heading("Advanced", ["Configure", "Advanced"]),
            Paragraph("Tune the cache.", ["Configure", "Advanced"]),
        ]);

        var chunks = DocumentChunker.Chunk(document);

        Assert.Equal(["Install\n\nRun the installer.", "Configure\n\nEdit the settings file.", "Advanced\n\nTune the cache."], chunks.Select(chunk => chunk.Text));
        Assert.Equal([["Install"], ["Configure"], ["Configure", "Advanced"]], chunks.Select(chunk => chunk.HeadingPath));
        Assert.All(chunks, chunk => Assert.Equal(0, chunk.OverlapChars));
        Assert.Equal([0, 1, 2], chunks.Select(chunk => chunk.Ordinal));
    }

    [Fact]
    public void ParagraphsShareAChunkWhileTheyFitAndAreNotCutWhenTheyFitInTheNext()
    {
        // Each paragraph is about 25 tokens: two fit in 64, three do not.
        var paragraphs = Enumerable.Range(1, 5).Select(i => Sentences(i * 10, 2)).ToList();
        var document = new ExtractedDocument(null, paragraphs.Select(text => Paragraph(text, [])).ToList());

        var chunks = DocumentChunker.Chunk(document, SmallWithoutOverlap);

        Assert.True(chunks.Count is > 1 and < 5, $"Expected paragraphs to be grouped, got {chunks.Count} chunks.");
        foreach (var paragraph in paragraphs)
        {
            Assert.Single(chunks, chunk => chunk.Text.Contains(paragraph, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ALongParagraphIsSplitBetweenSentences()
    {
        var paragraph = Sentences(0, 30);
        var document = new ExtractedDocument(null, [Paragraph(paragraph, [])]);

        var chunks = DocumentChunker.Chunk(document, SmallWithoutOverlap);

        Assert.True(chunks.Count > 3);
        Assert.All(chunks, chunk =>
        {
            Assert.True(char.IsUpper(chunk.Text[0]), $"Chunk should start a sentence: '{chunk.Text}'.");
            Assert.EndsWith(".", chunk.Text, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void NoChunkExceedsTheTokenBudgetAndTokenCountsAreOfTheChunkText()
    {
        var document = MixedDocument();

        foreach (var options in new[] { Small, new ChunkingOptions { MaxTokens = 100, OverlapTokens = 30 }, ChunkingOptions.Default })
        {
            var chunks = DocumentChunker.Chunk(document, options);

            Assert.NotEmpty(chunks);
            Assert.All(chunks, chunk =>
            {
                Assert.Equal(ApproximateTokenCounter.Count(chunk.Text), chunk.TokenCount);
                Assert.InRange(chunk.TokenCount, 1, options.MaxTokens);
            });
        }
    }

    [Fact]
    public void ChunksOfOneSectionRepeatTheTrailingSentencesOfThePreviousChunk()
    {
        var document = new ExtractedDocument(null, [Heading("Long", ["Long"]), Paragraph(Sentences(0, 40), ["Long"])]);

        var chunks = DocumentChunker.Chunk(document, Small);

        Assert.True(chunks.Count > 3);
        for (var i = 1; i < chunks.Count; i++)
        {
            var overlap = chunks[i].Text[..chunks[i].OverlapChars];
            Assert.NotEmpty(overlap);
            Assert.EndsWith(overlap, chunks[i - 1].Text, StringComparison.Ordinal);
            Assert.InRange(ApproximateTokenCounter.Count(overlap), 1, Small.OverlapTokens);
            Assert.EndsWith(".", overlap, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void OffsetsIndexTheFullTextExactlyAndNewContentCoversItOnceInOrder()
    {
        var document = MixedDocument();
        var fullText = string.Join("\n\n", document.Blocks.Select(block => block.Text));

        var chunks = DocumentChunker.Chunk(document, Small);

        var covered = 0;
        foreach (var chunk in chunks)
        {
            Assert.Equal(fullText[chunk.StartChar..chunk.EndChar], chunk.Text);
            var newContentStart = chunk.StartChar + chunk.OverlapChars;
            Assert.True(newContentStart >= covered, "New content must not repeat earlier chunks beyond the declared overlap.");
            Assert.True(string.IsNullOrWhiteSpace(fullText[covered..newContentStart]), $"Text between chunks was dropped: '{fullText[covered..newContentStart]}'.");
            covered = chunk.EndChar;
        }

        Assert.True(string.IsNullOrWhiteSpace(fullText[covered..]));
    }

    [Fact]
    public void PageAndHeadingPathAreCarried()
    {
        var document = new ExtractedDocument(null,
        [
            Paragraph("Preface text.", [], page: 1),
            Heading("Chapter", ["Chapter"], page: 2),
            Paragraph(Sentences(0, 3), ["Chapter"], page: 2),
            Paragraph(Sentences(10, 3), ["Chapter"], page: 3),
        ]);

        var chunks = DocumentChunker.Chunk(document, new ChunkingOptions { MaxTokens = 1000, OverlapTokens = 0 });

        Assert.Equal(2, chunks.Count);
        Assert.Equal(1, chunks[0].Page);
        Assert.Empty(chunks[0].HeadingPath);
        Assert.Equal(2, chunks[1].Page);
        Assert.Equal(["Chapter"], chunks[1].HeadingPath);
        Assert.Contains(Sentences(10, 3), chunks[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyDocumentHasNoChunks()
    {
        Assert.Empty(DocumentChunker.Chunk(new ExtractedDocument(null, [])));
        Assert.Empty(DocumentChunker.Chunk(new ExtractedDocument(null, [Paragraph("  \n ", []), Paragraph("", [])])));
    }

    [Fact]
    public void AMegabyteWordIsCutIntoBoundedChunksThatCoverIt()
    {
        var word = new string('x', 1_000_000);
        var document = new ExtractedDocument(null, [Paragraph("Before.", []), Paragraph(word, []), Paragraph("After.", [])]);
        var fullText = string.Join("\n\n", document.Blocks.Select(block => block.Text));

        var chunks = DocumentChunker.Chunk(document);

        Assert.All(chunks, chunk =>
        {
            Assert.InRange(chunk.TokenCount, 1, ChunkingOptions.Default.MaxTokens);
            Assert.Equal(fullText[chunk.StartChar..chunk.EndChar], chunk.Text);
        });
        Assert.Equal(word.Length, chunks.Sum(chunk => chunk.Text.AsSpan(chunk.OverlapChars).Count('x')));
        Assert.StartsWith("Before.", chunks[0].Text, StringComparison.Ordinal);
        Assert.EndsWith("After.", chunks[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void CodeBlocksAreSplitBetweenLines()
    {
        var code = string.Join('\n', Enumerable.Range(0, 60).Select(i => $"var value{i} = compute({i}, {i + 1});"));
        var document = new ExtractedDocument(null, [new TextBlock(BlockKind.Code, code, [])]);

        var chunks = DocumentChunker.Chunk(document, SmallWithoutOverlap);

        Assert.True(chunks.Count > 1);
        Assert.All(chunks, chunk =>
        {
            Assert.StartsWith("var value", chunk.Text, StringComparison.Ordinal);
            Assert.EndsWith(");", chunk.Text, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void ChunkingIsDeterministic()
    {
        var document = MixedDocument();

        Assert.Equal(DocumentChunker.Chunk(document, Small).Select(Describe), DocumentChunker.Chunk(document, Small).Select(Describe));

        static string Describe(DocumentChunk chunk) => $"{chunk.Ordinal}|{chunk.StartChar}|{chunk.EndChar}|{chunk.OverlapChars}|{chunk.Page}|{string.Join('/', chunk.HeadingPath)}";
    }

    [Fact]
    public void InvalidOptionsAreRefused()
    {
        var document = MixedDocument();

        Assert.Throws<ArgumentException>(() => DocumentChunker.Chunk(document, new ChunkingOptions { MaxTokens = 64, OverlapTokens = 40 }));
        Assert.Throws<ArgumentException>(() => DocumentChunker.Chunk(document, new ChunkingOptions { MaxTokens = 4 }));
    }

    private static TextBlock Heading(string text, IReadOnlyList<string> path, int? page = null) => new(BlockKind.Heading, text, path, page);

    private static TextBlock Paragraph(string text, IReadOnlyList<string> path, int? page = null) => new(BlockKind.Paragraph, text, path, page);

    /// <summary>Distinct, numbered sentences of about 12 tokens each.</summary>
    private static string Sentences(int first, int count) =>
        string.Join(' ', Enumerable.Range(first, count).Select(i => $"Sentence number {i} explains how the system stores chunk {i} safely."));

    private static ExtractedDocument MixedDocument()
    {
        var blocks = new List<TextBlock> { Paragraph("An introduction without a heading, e.g. a preface.", [], page: 1) };
        for (var section = 0; section < 4; section++)
        {
            string[] path = [$"Section {section}"];
            blocks.Add(Heading(path[0], path, page: section + 1));
            blocks.Add(Paragraph(Sentences(section * 100, 2 + (section * 7)), path, page: section + 1));
            blocks.Add(new TextBlock(BlockKind.ListItem, "A short list item with pi = 3.14 in it.", path, section + 1));
            blocks.Add(Paragraph(string.Join(' ', Enumerable.Repeat("word", 90 + section)), path, page: section + 2));
        }

        return new ExtractedDocument("Mixed", blocks);
    }
}
