using System.IO.Compression;
using System.Text;
using Rag.Core.Extraction;
using Rag.Core.Extraction.Detection;

namespace Rag.Tests.Extraction;

public sealed class ContentTypeDetectorTests
{
    [Theory]
    [InlineData("notes.txt", "Just some notes.\nSecond line.", ContentTypes.PlainText)]
    [InlineData("README", "No extension, plain words.", ContentTypes.PlainText)]
    [InlineData("guide.md", "# Title\n\nBody", ContentTypes.Markdown)]
    [InlineData("guide.markdown", "Body only", ContentTypes.Markdown)]
    [InlineData("people.csv", "name,age\nAda,36", ContentTypes.Csv)]
    [InlineData("data.json", "{\"a\": [1, 2]}", ContentTypes.Json)]
    [InlineData("unnamed", "  [1, 2, {\"b\": null}]", ContentTypes.Json)]
    [InlineData("page.html", "<p>fragment</p>", ContentTypes.Html)]
    [InlineData("page", "<!DOCTYPE html><html><body>x</body></html>", ContentTypes.Html)]
    [InlineData("page.txt", "<!DOCTYPE html><html><body>x</body></html>", ContentTypes.PlainText)]
    public void DetectsTextFormatsFromContentAndName(string fileName, string content, string expected)
    {
        var result = ContentTypeDetector.Detect(fileName, Encoding.UTF8.GetBytes(content));

        Assert.Equal(DetectionOutcome.Supported, result.Outcome);
        Assert.Equal(expected, result.ContentType);
    }

    [Fact]
    public void Utf16WithAByteOrderMarkIsText()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("Grüße aus Köln")).ToArray();

        var result = ContentTypeDetector.Detect("letter.txt", bytes);

        Assert.Equal(ContentTypes.PlainText, result.ContentType);
    }

    [Fact]
    public void PdfIsFoundByItsHeaderEvenWithJunkBeforeItAndAWrongName()
    {
        var bytes = Encoding.ASCII.GetBytes("\r\n\r\n%PDF-1.4\n%...");

        Assert.Equal(ContentTypes.Pdf, ContentTypeDetector.Detect("scan", bytes).ContentType);
        Assert.Equal(DetectionOutcome.Mismatch, ContentTypeDetector.Detect("scan.docx", bytes).Outcome);
    }

    [Fact]
    public void AZipWithAWordDocumentPartIsDocxAndOtherZipsAreNot()
    {
        var docx = TestDocx.Build("<w:p><w:r><w:t>Hello</w:t></w:r></w:p>");
        var zip = Zip(("readme.txt", "not word"));

        Assert.Equal(ContentTypes.Docx, ContentTypeDetector.Detect("report", docx).ContentType);

        var other = ContentTypeDetector.Detect("archive.zip", zip);
        Assert.Equal(DetectionOutcome.Unsupported, other.Outcome);
        Assert.Equal("a ZIP archive that is not a Word document", other.Reason);

        var disguised = ContentTypeDetector.Detect("report.pdf", zip);
        Assert.Equal(DetectionOutcome.Mismatch, disguised.Outcome);
        Assert.Contains("a ZIP archive that is not a Word document", disguised.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void BinaryGarbageNamedTxtIsAMismatch()
    {
        var garbage = new byte[4096];
        new Random(42).NextBytes(garbage);

        var result = ContentTypeDetector.Detect("notes.txt", garbage);

        Assert.Equal(DetectionOutcome.Mismatch, result.Outcome);
        Assert.Null(result.ContentType);
        Assert.Contains("binary", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TextWithNulsOrManyControlCharactersIsBinary()
    {
        Assert.Equal(DetectionOutcome.Unsupported, ContentTypeDetector.Detect("blob", "abc\0def"u8).Outcome);
        Assert.Equal(DetectionOutcome.Unsupported, ContentTypeDetector.Detect("blob", "a\u0001b\u0002c\u0003d\u0004"u8).Outcome);
    }

    [Fact]
    public void KnownBinaryFormatsAreNamedInTheReason()
    {
        var png = new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0 };

        var result = ContentTypeDetector.Detect("photo.png", png);

        Assert.Equal(DetectionOutcome.Unsupported, result.Outcome);
        Assert.Equal("a PNG image", result.Reason);
    }

    [Fact]
    public void TextNamedAsABinaryFormatIsAMismatch()
    {
        var result = ContentTypeDetector.Detect("report.docx", "plain words"u8);

        Assert.Equal(DetectionOutcome.Mismatch, result.Outcome);
        Assert.Equal("the name says a Word document but the content is plain text", result.Reason);
    }

    [Fact]
    public void JsonNameWithContentThatDoesNotParseIsAMismatch()
    {
        var result = ContentTypeDetector.Detect("data.json", "{\"open\": "u8);

        Assert.Equal(DetectionOutcome.Mismatch, result.Outcome);
    }

    [Fact]
    public void EmptyContentIsItsOwnOutcome()
    {
        var result = ContentTypeDetector.Detect("empty.pdf", ReadOnlySpan<byte>.Empty);

        Assert.Equal(DetectionOutcome.Empty, result.Outcome);
        Assert.Null(result.ContentType);
    }

    private static byte[] Zip(params (string Name, string Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open());
                writer.Write(content);
            }
        }

        return buffer.ToArray();
    }
}
