using PdfSharp;
using PdfSharp.Drawing;
using PdfSharp.Fonts;
using PdfSharp.Pdf;
using PdfSharp.WPFonts;

namespace Rag.Tests.Extraction;

/// <summary>PDFs produced by PdfSharp, with the Segoe WP fonts it ships, so nothing depends on installed fonts.</summary>
internal static class PdfSharpDocuments
{
    private static readonly Lock FontSetup = new();

    public static byte[] ThreePages()
    {
        EnsureFontResolver();
        using var document = new PdfDocument();
        document.Info.Title = "Extraction test";
        var heading = new XFont("Segoe WP", 24, XFontStyleEx.Bold);
        var body = new XFont("Segoe WP", 11, XFontStyleEx.Regular);
        var winAnsiBody = new XFont("Segoe WP", 11, XFontStyleEx.Regular, new XPdfFontOptions(PdfFontEncoding.WinAnsi));

        var first = document.AddPage();
        using (var graphics = XGraphics.FromPdfPage(first))
        {
            graphics.DrawString("Annual Report", heading, XBrushes.Black, new XPoint(72, 100));
            graphics.DrawString("The first page introduces the report.", body, XBrushes.Black, new XPoint(72, 140));
        }

        var second = document.AddPage();
        using (var graphics = XGraphics.FromPdfPage(second))
        {
            graphics.DrawString("Grüße aus Köln – naïve café", winAnsiBody, XBrushes.Black, new XPoint(72, 100));
        }

        var third = document.AddPage();
        using (var graphics = XGraphics.FromPdfPage(third))
        {
            graphics.DrawString("Page three closes the report.", body, XBrushes.Black, new XPoint(72, 100));
        }

        using var output = new MemoryStream();
        document.Save(output);
        return output.ToArray();
    }

    /// <summary>A one-page document saved with the standard security handler as <paramref name="protect"/> sets it up.</summary>
    public static byte[] Protected(Action<PdfDocument> protect)
    {
        EnsureFontResolver();
        using var document = new PdfDocument();
        var page = document.AddPage();
        using (var graphics = XGraphics.FromPdfPage(page))
        {
            graphics.DrawString("Protected but readable text", new XFont("Segoe WP", 12, XFontStyleEx.Regular), XBrushes.Black, new XPoint(72, 100));
        }

        protect(document);
        using var output = new MemoryStream();
        document.Save(output);
        return output.ToArray();
    }

    private static void EnsureFontResolver()
    {
        lock (FontSetup)
        {
            // PDFsharp 6.5 refuses to work until a license is chosen; it is used only here, to make test input.
            PdfSharpLicense.SetAgplLicense();
            GlobalFontSettings.FontResolver ??= new SegoeWpFontResolver();
        }
    }

    private sealed class SegoeWpFontResolver : IFontResolver
    {
        public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
            new(bold ? "SegoeWP-Bold" : "SegoeWP");

        public byte[]? GetFont(string faceName) => faceName == "SegoeWP-Bold" ? FontDataHelper.SegoeWPBold : FontDataHelper.SegoeWP;
    }
}
