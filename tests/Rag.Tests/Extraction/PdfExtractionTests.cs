using System.Diagnostics;
using System.Text;
using Rag.Core.Extraction;
using Xunit.Abstractions;

namespace Rag.Tests.Extraction;

public sealed class PdfExtractionTests(ITestOutputHelper output)
{
    private const string Catalog = "<< /Type /Catalog /Pages 2 0 R >>";

    // A simple font whose /Differences remap codes to glyph names: 1 → fi, 2 → ’, 128 → é, 129 → — (by uniXXXX name).
    private const string DifferencesFont =
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding " +
        "/Differences [1 /fi /quoteright 128 /eacute /uni2014] >> >>";

    [Fact]
    public async Task SimpleFontWithDifferencesPositionsLinesParagraphsAndFormsInReadingOrder()
    {
        var content = """
            BT /F1 12 Tf 72 720 Td
            [(The ) (\001rst ca) 20 (f\200 ) (isn\002t) -700 (closed) -50 (.)] TJ
            0 -14 Td (second line \201 a dash, and an exam-) Tj
            14 TL T* (ple of joining.) Tj
            (fourth line) '
            0 -40 Td (A new paragraph after a gap.) Tj
            ET
            q 2 0 0 2 0 0 cm /X1 Do Q
            """;
        var form = "BT /F1 10 Tf 36 100 Td (Inside a form) Tj ET";
        var pdf = new TestPdf()
            .Object(1, Catalog)
            .Object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> /MediaBox [0 0 612 792] >>")
            .Object(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>")
            .Stream(4, "", Encoding.Latin1.GetBytes(content))
            .Object(5, DifferencesFont)
            .Stream(6, "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>", Encoding.Latin1.GetBytes(form))
            .Build();

        var document = await Extract(pdf);

        Assert.Equal(
            [
                "The first café isn’t closed. second line — a dash, and an example of joining. fourth line",
                "A new paragraph after a gap.",
                "Inside a form",
            ],
            document.Blocks.Select(b => b.Text));
        Assert.All(document.Blocks, b => Assert.Equal(1, b.Page));
    }

    [Fact]
    public async Task Type0IdentityFontIsReadThroughItsToUnicodeCmap()
    {
        const string cmap = """
            /CIDInit /ProcSet findresource begin 12 dict begin begincmap
            /CMapName /Test def
            1 begincodespacerange <0000> <FFFF> endcodespacerange
            3 beginbfchar <0001> <0048> <0002> <0065> <0003> <D83DDE00> endbfchar
            2 beginbfrange <000A> <000B> [<006C> <006F>] <0020> <0039> <0061> endbfrange
            endcmap CMapName currentdict /CMap defineresource pop end end
            """;
        const string content = "BT /F1 20 Tf 50 700 Td [<00010002000A000A000B> -400 <0036002E0031002B0023> -400 <0003>] TJ ET";
        var pdf = new TestPdf()
            .Object(1, Catalog)
            .Object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Object(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
            .Stream(4, "", Encoding.Latin1.GetBytes(content))
            .Object(5, "<< /Type /Font /Subtype /Type0 /BaseFont /Test /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>")
            .Object(6, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Test /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 /W [1 [600 500] 10 11 550 32 57 500] >>")
            .Stream(7, "", Encoding.Latin1.GetBytes(cmap))
            .Build();

        var document = await Extract(pdf);

        Assert.Equal("Hello world \U0001F600", Assert.Single(document.Blocks).Text);
    }

    [Fact]
    public async Task ObjectStreamsFoundThroughAPredictedCrossReferenceStreamAreRead()
    {
        var pdf = new TestPdf()
            .Object(1, Catalog)
            .Object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Object(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
            .Object(5, DifferencesFont)
            .BuildWithObjectStream(objectStreamNumber: 10, xrefStreamNumber: 11);

        // The content stream must be a top-level object (streams cannot live in object streams): add it as an update.
        var updated = new TestPdf().Stream(4, "/Filter /FlateDecode", TestPdf.Deflate("BT /F1 12 Tf 72 700 Td (Compressed structure) Tj ET"u8.ToArray()))
            .AppendUpdateTo(pdf, "/Root 1 0 R");

        var document = await Extract(updated);

        Assert.Equal("Compressed structure", Assert.Single(document.Blocks).Text);
    }

    [Fact]
    public async Task IncrementalUpdatesReplaceOlderObjects()
    {
        var original = OnePage("(Original text) Tj");
        var updated = new TestPdf().Stream(4, "", "BT /F1 12 Tf 72 700 Td (Revised text) Tj ET"u8.ToArray()).AppendUpdateTo(original);

        Assert.Equal("Original text", Assert.Single((await Extract(original)).Blocks).Text);
        Assert.Equal("Revised text", Assert.Single((await Extract(updated)).Blocks).Text);
    }

    [Fact]
    public async Task BrokenCrossReferencesAreRecoveredByScanningForObjects()
    {
        var pdf = OnePage("(Still readable) Tj");

        // Shifting every object by inserting a comment after the header makes every xref offset wrong.
        var shifted = TestPdf.Concat("%PDF-1.4\n% an inserted comment that moves everything\n", pdf[9..], "");

        Assert.Equal("Still readable", Assert.Single((await Extract(shifted)).Blocks).Text);
    }

    [Theory]
    [InlineData("ASCIIHexDecode")]
    [InlineData("ASCII85Decode")]
    [InlineData("RunLengthDecode")]
    [InlineData("LZWDecode")]
    [InlineData("FlateDecode")]
    public async Task ContentStreamsAreDecodedThroughEachFilter(string filter)
    {
        var content = Encoding.Latin1.GetBytes("BT /F1 12 Tf 72 700 Td (Filtered through " + filter + ") Tj ET");
        var encoded = filter switch
        {
            "ASCIIHexDecode" => Encoding.ASCII.GetBytes(Convert.ToHexString(content) + ">"),
            "ASCII85Decode" => StreamEncoders.Ascii85(content),
            "RunLengthDecode" => StreamEncoders.RunLength(content),
            "LZWDecode" => StreamEncoders.Lzw(content),
            _ => TestPdf.Deflate(content),
        };
        var pdf = OnePageWithStream($"/Filter /{filter}", encoded);

        Assert.Equal("Filtered through " + filter, Assert.Single((await Extract(pdf)).Blocks).Text);
    }

    [Fact]
    public async Task AnUnknownFilterGivesAClearErrorForThatPage()
    {
        var pdf = OnePageWithStream("/Filter /JBIG2Decode", [1, 2, 3]);

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(pdf));

        Assert.Equal("Page 1 of the PDF cannot be read: the stream uses the unsupported filter /JBIG2Decode.", error.Message);
    }

    [Fact]
    public async Task EncryptedPdfsAreRefusedClearly()
    {
        var pdf = new TestPdf()
            .Object(1, Catalog)
            .Object(2, "<< /Type /Pages /Kids [] /Count 0 >>")
            .Object(9, "<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>")
            .Build("/Root 1 0 R /Encrypt 9 0 R");

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(pdf));

        Assert.StartsWith("Encrypted PDF is not supported", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RC4 128-bit")]
    [InlineData("AES 128-bit")]
    public async Task PdfsProtectedOnlyByAnOwnerPasswordAreDecrypted(string encryption)
    {
        var pdf = PdfSharpDocuments.Protected(pdfDocument =>
        {
            pdfDocument.SecuritySettings.OwnerPassword = "owner-secret";
            pdfDocument.SecuritySettings.PermitModifyDocument = false;
            if (encryption.StartsWith("AES", StringComparison.Ordinal))
            {
                pdfDocument.SecurityHandler.SetEncryptionToV4UsingAES(encryptMetadata: true);
            }
            else
            {
                pdfDocument.SecurityHandler.SetEncryptionToV2With128Bits();
            }
        });
        Assert.Contains("/Encrypt", Encoding.Latin1.GetString(pdf), StringComparison.Ordinal);

        var document = await Extract(pdf);

        Assert.Equal("Protected but readable text", Assert.Single(document.Blocks).Text);
    }

    [Fact]
    public async Task PdfsThatNeedAUserPasswordAreRefusedClearly()
    {
        var pdf = PdfSharpDocuments.Protected(pdfDocument =>
        {
            pdfDocument.SecuritySettings.UserPassword = "user-secret";
            pdfDocument.SecuritySettings.OwnerPassword = "owner-secret";
            pdfDocument.SecurityHandler.SetEncryptionToV2With128Bits();
        });

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(pdf));

        Assert.StartsWith("Encrypted PDF is not supported: this one needs a password to open.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GarbageAfterTheHeaderGivesAClearError()
    {
        var garbage = new byte[64 * 1024];
        new Random(7).NextBytes(garbage);

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(TestPdf.Concat("%PDF-1.7\n", garbage, "")));

        Assert.StartsWith("The PDF cannot be read:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATruncatedRealPdfGivesAClearError()
    {
        var pdf = InstalledFiles.Read(InstalledFiles.LibtasnManual, "libtasn1-doc");

        var error = await Assert.ThrowsAsync<ExtractionException>(() => Extract(pdf[..(pdf.Length / 2)]));

        Assert.Equal("The PDF cannot be read: no document catalog could be found (the file is truncated or is not really a PDF).", error.Message);
    }

    [Fact]
    public async Task HostileStructuresEndInBoundedTime()
    {
        // A page tree that contains itself, a form that draws itself, and an object whose /Length refers to itself.
        var pdf = new TestPdf()
            .Object(1, Catalog)
            .Object(2, "<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 1 /Resources << /Font << /F1 5 0 R >> /XObject << /X1 6 0 R >> >> >>")
            .Object(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>")
            .Stream(4, "", "BT /F1 12 Tf 72 700 Td (Survives) Tj ET /X1 Do"u8.ToArray())
            .Object(5, DifferencesFont)
            .Object(6, "<< /Type /XObject /Subtype /Form /Length 6 0 R >>\nstream\n/X1 Do\nendstream")
            .Build();

        Assert.Equal("Survives", Assert.Single((await Extract(pdf)).Blocks).Text);
    }

    [Fact]
    public async Task PdfSharpGeneratedMultiPageDocumentKeepsTextOrderAndPageNumbers()
    {
        var pdf = PdfSharpDocuments.ThreePages();

        var document = await Extract(pdf);

        Assert.Equal("Extraction test", document.Title);
        var expected = new (string Text, int Page)[]
        {
            ("Annual Report", 1),
            ("The first page introduces the report.", 1),
            ("Grüße aus Köln – naïve café", 2),
            ("Page three closes the report.", 3),
        };
        AssertInOrder(document, expected);
        var heading = document.Blocks.First(b => b.Text == "Annual Report");
        Assert.Equal(BlockKind.Heading, heading.Kind);
        Assert.Equal(["Annual Report"], document.Blocks.First(b => b.Page == 3).HeadingPath);
    }

    [Fact]
    public async Task RealPdftexManualWithObjectStreamsReadsInOrderWithPageNumbers()
    {
        var pdf = InstalledFiles.Read(InstalledFiles.LibtasnManual, "libtasn1-doc");
        var stopwatch = Stopwatch.StartNew();

        var document = await Extract(pdf);

        output.WriteLine($"libtasn1.pdf ({pdf.Length:N0} bytes, {document.Blocks.Max(b => b.Page)} pages) extracted in {stopwatch.ElapsedMilliseconds} ms.");
        Assert.Equal("Libtasn1", document.Title);
        Assert.Equal(36, document.Blocks.Max(b => b.Page));
        AssertInOrder(document,
        [
            ("Abstract Syntax Notation One (ASN.1) library for the GNU system", 1),
            ("Thread-safety. No global variables are used", 4),
            ("The parser is case sensitive.", 5),
            ("The notation to access the ‘Group’ type of the ‘Example’ definition", 6),
            ("asn1Parser reads a single file with ASN.1 definitions", 8),
        ]);
        Assert.Contains(document.Blocks, b => b.Kind == BlockKind.Heading && b.Text == "2.1 ASN.1 syntax" && b.Page == 5);
        Assert.DoesNotContain(document.Blocks, b => b.Kind == BlockKind.Heading && b.Text.Contains("....", StringComparison.Ordinal));
        Assert.Equal(["2 ASN.1 structure handling", "2.1 ASN.1 syntax"], document.Blocks.First(b => b.Text.StartsWith("The parser is case sensitive", StringComparison.Ordinal)).HeadingPath.TakeLast(2));
    }

    [Fact]
    public async Task RealGhostscriptManualWithCustomEncodingsReadsInOrderWithPageNumbers()
    {
        var pdf = InstalledFiles.Read(InstalledFiles.GraphvizDotManual, "graphviz-doc");
        var stopwatch = Stopwatch.StartNew();

        var document = await Extract(pdf);

        output.WriteLine($"dot.1.pdf ({pdf.Length:N0} bytes, {document.Blocks.Max(b => b.Page)} pages) extracted in {stopwatch.ElapsedMilliseconds} ms.");
        Assert.Equal(9, document.Blocks.Max(b => b.Page));
        AssertInOrder(document,
        [
            ("Thus, they largely share all of the same command-line options.", 1),
            ("dot draws directed graphs. It works well on directed acyclic graphs", 1),
            ("Graphviz uses an extensible plugin mechanism for its output renderers", 2),
            ("weight=val where val is the cost of the edge.", 6),
            ("Applications of graph visualization", 9),
        ]);
    }

    /// <summary>Each phrase appears in a block on its page, and the blocks come in the given order.</summary>
    private static void AssertInOrder(ExtractedDocument document, (string Text, int Page)[] expected)
    {
        var lastIndex = -1;
        foreach (var (text, page) in expected)
        {
            var index = document.Blocks.ToList().FindIndex(lastIndex + 1, b => b.Text.Contains(text, StringComparison.Ordinal));
            Assert.True(index >= 0, $"'{text}' was not found after block {lastIndex}. Blocks: {string.Join(" ‖ ", document.Blocks.Select(b => $"p{b.Page}: {b.Text}").Take(60))}");
            Assert.Equal(page, document.Blocks[index].Page);
            lastIndex = index;
        }
    }

    private static byte[] OnePage(string textOperators) =>
        OnePageWithStream("", Encoding.Latin1.GetBytes($"BT /F1 12 Tf 72 700 Td {textOperators} ET"));

    private static byte[] OnePageWithStream(string streamEntries, byte[] data) =>
        new TestPdf()
            .Object(1, Catalog)
            .Object(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
            .Object(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
            .Stream(4, streamEntries, data)
            .Object(5, DifferencesFont)
            .Build();

    private static Task<ExtractedDocument> Extract(byte[] pdf) =>
        DocumentExtraction.ExtractAsync(ContentTypes.Pdf, pdf, new ExtractionOptions());
}
