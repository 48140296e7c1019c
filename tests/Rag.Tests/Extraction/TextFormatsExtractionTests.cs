using System.Text;
using Rag.Core.Extraction;
using Rag.Core.Extraction.Detection;

namespace Rag.Tests.Extraction;

public sealed class TextFormatsExtractionTests
{
    [Fact]
    public async Task PlainTextSplitsParagraphsAtBlankLinesAndNormalisesWhitespace()
    {
        var document = await Extract(ContentTypes.PlainText, "First  paragraph\r\ncontinues here.\r\n\r\n \t \nSecond\u00A0one.\n\n\n");

        Assert.Equal(["First paragraph continues here.", "Second one."], document.Blocks.Select(b => b.Text));
        Assert.All(document.Blocks, b => Assert.Equal(BlockKind.Paragraph, b.Kind));
    }

    [Fact]
    public async Task MarkdownHeadingsListsCodeAndTablesKeepTheirStructure()
    {
        const string markdown = """
            ---
            author: someone
            ---
            # Install Guide

            Run the *installer* with `--quiet`.

            ## Options

            - first &amp; foremost
            - second
              1. nested

            ```bash
            rag   --serve
              --port 80
            ```

            | Flag | Meaning |
            |------|---------|
            | -q   | quiet   |

            # Appendix

            Done.
            """;

        var document = await Extract(ContentTypes.Markdown, markdown);

        Assert.Equal("Install Guide", document.Title);
        Assert.Equal(
            [
                (BlockKind.Heading, "Install Guide"),
                (BlockKind.Paragraph, "Run the installer with --quiet."),
                (BlockKind.Heading, "Options"),
                (BlockKind.ListItem, "first & foremost"),
                (BlockKind.ListItem, "second"),
                (BlockKind.ListItem, "nested"),
                (BlockKind.Code, "rag   --serve\n  --port 80"),
                (BlockKind.Table, "Flag | Meaning\n-q | quiet"),
                (BlockKind.Heading, "Appendix"),
                (BlockKind.Paragraph, "Done."),
            ],
            document.Blocks.Select(b => (b.Kind, b.Text)));
        Assert.Equal(["Install Guide", "Options"], document.Blocks[6].HeadingPath);
        Assert.Equal(["Appendix"], document.Blocks[^1].HeadingPath);
    }

    [Fact]
    public async Task CsvRowsBecomeNamedFieldsInBlocksOfRows()
    {
        var csv = "name,city,note\r\n\"Lovelace, Ada\",London,\"said \"\"hello\"\"\nand left\"\r\nTuring,,extra,surplus\r\n";
        for (var i = 0; i < 25; i++)
        {
            csv += $"person{i},Town{i},n{i}\r\n";
        }

        var document = await Extract(ContentTypes.Csv, csv, new ExtractionOptions { CsvRowsPerBlock = 10 });

        Assert.All(document.Blocks, b => Assert.Equal(BlockKind.Table, b.Kind));
        Assert.Equal(3, document.Blocks.Count);
        var firstRows = document.Blocks[0].Text.Split('\n');
        Assert.Equal("name: Lovelace, Ada; city: London; note: said \"hello\" and left", firstRows[0]);
        Assert.Equal("name: Turing; note: extra; column 4: surplus", firstRows[1]);
        Assert.Equal("name: person24; city: Town24; note: n24", document.Blocks[^1].Text.Split('\n')[^1]);
    }

    [Fact]
    public async Task JsonIsFlattenedToPathsGroupedByTopLevelMember()
    {
        const string json = """
            {
              "name": "rag",
              "server": { "port": 8080, "tls": true, "hosts": ["a", "b"] },
              "tags": [ { "k": "x" }, null ]
            }
            """;

        var document = await Extract(ContentTypes.Json, json);

        Assert.Equal(
            [
                "name: rag",
                "server.port: 8080\nserver.tls: true\nserver.hosts[0]: a\nserver.hosts[1]: b",
                "tags[0].k: x\ntags[1]: null",
            ],
            document.Blocks.Select(b => b.Text));
    }

    [Fact]
    public async Task JsonTopLevelArraysGroupByElement()
    {
        var document = await Extract(ContentTypes.Json, """[{"id": 1, "t": "one"}, {"id": 2}]""");

        Assert.Equal(["[0].id: 1\n[0].t: one", "[1].id: 2"], document.Blocks.Select(b => b.Text));
    }

    [Fact]
    public async Task JsonNested100000DeepFailsClearlyWithoutOverflowingTheStack()
    {
        var json = new string('[', 100_000) + new string(']', 100_000);
        Assert.Equal(ContentTypes.Json, ContentTypeDetector.Detect("deep.json", Encoding.UTF8.GetBytes(json)).ContentType);

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(ContentTypes.Json, json));

        Assert.Equal("The JSON nests deeper than the limit of 64 levels.", error.Message);
    }

    [Fact]
    public async Task JsonStringsThatAreNotUtf8FailClearly()
    {
        var error = await Assert.ThrowsAsync<ExtractionException>(() =>
            DocumentExtraction.ExtractAsync(ContentTypes.Json, new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)'}' }, new ExtractionOptions()));

        Assert.Contains("not valid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidJsonFailsClearly()
    {
        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(ContentTypes.Json, "{\"a\": 1,\n \"b\": }"));

        Assert.Contains("not valid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextBeyondTheCharacterLimitIsRefused()
    {
        var error = await Assert.ThrowsAsync<ExtractionException>(() =>
            Extract(ContentTypes.PlainText, string.Join("\n\n", Enumerable.Repeat("twenty characters ok", 10)), new ExtractionOptions { MaxCharacters = 100 }));

        Assert.Contains("100 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BinaryContentHandedToATextExtractorFailsClearly()
    {
        var error = await Assert.ThrowsAsync<ExtractionException>(() =>
            DocumentExtraction.ExtractAsync(ContentTypes.PlainText, new byte[] { 1, 2, 0, 4, 0xFF }, new ExtractionOptions()));

        Assert.Contains("not text", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnsupportedContentTypesAndOversizedInputAreRefused()
    {
        await Assert.ThrowsAsync<ExtractionException>(() => DocumentExtraction.ExtractAsync("image/png", new byte[] { 1 }, new ExtractionOptions()));
        var error = await Assert.ThrowsAsync<ExtractionException>(() =>
            DocumentExtraction.ExtractAsync(ContentTypes.PlainText, new MemoryStream(new byte[2048]), new ExtractionOptions { MaxInputBytes = 1024 }));
        Assert.Contains("1,024", error.Message, StringComparison.Ordinal);
    }

    private static Task<ExtractedDocument> Extract(string contentType, string text, ExtractionOptions? options = null) =>
        DocumentExtraction.ExtractAsync(contentType, Encoding.UTF8.GetBytes(text), options ?? new ExtractionOptions());
}
