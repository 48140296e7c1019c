using Rag.Core.Extraction;

namespace Rag.Tests.Extraction;

public sealed class DocxExtractionTests
{
    private const string Styles =
        "<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/></w:style>" +
        "<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/></w:style>" +
        // A localised id whose name and outline level say what it is.
        "<w:style w:type=\"paragraph\" w:styleId=\"Überschrift2\"><w:name w:val=\"heading 2\"/></w:style>" +
        "<w:style w:type=\"paragraph\" w:styleId=\"Kapitel\"><w:name w:val=\"Kapitel\"/><w:pPr><w:outlineLvl w:val=\"0\"/></w:pPr></w:style>" +
        "<w:style w:type=\"paragraph\" w:styleId=\"ListParagraph\"><w:name w:val=\"List Paragraph\"/></w:style>";

    [Fact]
    public async Task HeadingsByStyleParagraphsListsAndTablesComeOutInOrder()
    {
        var body =
            TestDocx.Paragraph("Quarterly Report", "Title") +
            TestDocx.Paragraph("Revenue", "Heading1") +
            TestDocx.Paragraph("Revenue grew  by\ta third.") +
            TestDocx.Paragraph("By region", "Überschrift2") +
            TestDocx.Paragraph("North did best", "ListParagraph") +
            TestDocx.Paragraph("South held steady", numbered: true) +
            "<w:tbl><w:tr><w:tc>" + TestDocx.Paragraph("Region") + "</w:tc><w:tc>" + TestDocx.Paragraph("Growth") + "</w:tc></w:tr>" +
            "<w:tr><w:tc>" + TestDocx.Paragraph("North") + "</w:tc><w:tc>" + TestDocx.Paragraph("40%") + "</w:tc></w:tr></w:tbl>" +
            TestDocx.Paragraph("Outlook", "Kapitel") +
            TestDocx.Paragraph("Cautious &amp; hopeful.");

        var document = await Extract(TestDocx.Build(body, Styles));

        Assert.Equal("Quarterly Report", document.Title);
        Assert.Equal(
            [
                (BlockKind.Heading, "Quarterly Report"),
                (BlockKind.Heading, "Revenue"),
                (BlockKind.Paragraph, "Revenue grew by a third."),
                (BlockKind.Heading, "By region"),
                (BlockKind.ListItem, "North did best"),
                (BlockKind.ListItem, "South held steady"),
                (BlockKind.Table, "Region | Growth\nNorth | 40%"),
                (BlockKind.Heading, "Outlook"),
                (BlockKind.Paragraph, "Cautious & hopeful."),
            ],
            document.Blocks.Select(b => (b.Kind, b.Text)));
        Assert.Equal(["Quarterly Report", "Revenue", "By region"], document.Blocks[4].HeadingPath);
        Assert.Equal(["Quarterly Report", "Outlook"], document.Blocks[^1].HeadingPath);
    }

    [Fact]
    public async Task HeadingsAreRecognisedByStyleIdWhenTheStylesPartIsMissing()
    {
        var document = await Extract(TestDocx.Build(TestDocx.Paragraph("Intro", "Heading1") + TestDocx.Paragraph("Text")));

        Assert.Equal(BlockKind.Heading, document.Blocks[0].Kind);
        Assert.Equal(["Intro"], document.Blocks[1].HeadingPath);
    }

    [Fact]
    public async Task ATruncatedDocxGivesAClearError()
    {
        var docx = TestDocx.Build(TestDocx.Paragraph("Some text that will be cut off"));

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(docx[..(docx.Length / 2)]));

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AZipBombDeclaringItsSizeIsRefusedBeforeInflating()
    {
        var bomb = TestDocx.ZipBomb(inflatedMegabytes: 2048, declaredSize: 2048u * 1024 * 1024);

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(bomb));

        Assert.Contains("word/document.xml", error.Message, StringComparison.Ordinal);
        Assert.Contains("declares", error.Message, StringComparison.Ordinal);
        Assert.True(bomb.Length < 16 * 1024 * 1024, $"The bomb itself should be small, was {bomb.Length:N0} bytes.");
    }

    [Fact]
    public async Task AZipBombLyingAboutItsSizeIsStoppedWhileInflating()
    {
        // Declares 1 KB; actually inflates to 2 GB. Only the byte cap can catch it.
        var bomb = TestDocx.ZipBomb(inflatedMegabytes: 2048, declaredSize: 1024);
        var options = new ExtractionOptions { MaxDecompressedBytes = 8 * 1024 * 1024 };

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(bomb, options));

        Assert.Contains("more than the limit of 8,388,608 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnArchiveWithMoreEntriesThanAllowedIsRefusedBeforeReading()
    {
        var docx = TestDocx.Build(TestDocx.Paragraph("Text"), "");

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(docx, new ExtractionOptions { MaxZipEntries = 2 }));

        Assert.Contains("lists 3 entries, more than the limit of 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOverlyCompressedPartIsRefusedByRatio()
    {
        var bomb = TestDocx.ZipBomb(inflatedMegabytes: 64, declaredSize: 64u * 1024 * 1024);

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(bomb));

        Assert.Contains("zip bombs", error.Message, StringComparison.Ordinal);
    }

    private static Task<ExtractedDocument> Extract(byte[] docx, ExtractionOptions? options = null) =>
        DocumentExtraction.ExtractAsync(ContentTypes.Docx, docx, options ?? new ExtractionOptions());
}
