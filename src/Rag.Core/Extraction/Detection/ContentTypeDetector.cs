using System.Text.Json;
using Rag.Core.Extraction.Docx;

namespace Rag.Core.Extraction.Detection;

/// <summary>
/// Decides a document's format from its bytes, using the file name only to choose among text formats and
/// to notice when the name and the content disagree.
/// </summary>
public static class ContentTypeDetector
{
    private const int SniffLength = 1024;

    // Signatures of common formats we do not extract, so the refusal can name what the file is.
    private static readonly (byte[] Magic, string Description)[] KnownBinaryFormats =
    [
        ([0x89, (byte)'P', (byte)'N', (byte)'G'], "a PNG image"),
        ([0xFF, 0xD8, 0xFF], "a JPEG image"),
        ("GIF8"u8.ToArray(), "a GIF image"),
        ([0x1F, 0x8B], "a gzip-compressed file"),
        ([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1], "a legacy Microsoft Office (OLE) file such as .doc"),
        ("{\\rtf"u8.ToArray(), "an RTF document"),
        ([(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C], "a 7-Zip archive"),
        ("Rar!"u8.ToArray(), "a RAR archive"),
        ([0x7F, (byte)'E', (byte)'L', (byte)'F'], "an executable (ELF) file"),
        ("MZ"u8.ToArray(), "a Windows executable"),
    ];

    public static ContentDetection Detect(string fileName, ReadOnlySpan<byte> content)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        if (content.IsEmpty)
        {
            return new ContentDetection(DetectionOutcome.Empty, null, "the file is empty");
        }

        var claimed = ClaimedType(fileName);
        var actual = DetectFromContent(content, claimed, out var unsupportedReason);
        if (actual is null)
        {
            return claimed is null
                ? ContentDetection.Unsupported(unsupportedReason!)
                : ContentDetection.Mismatch($"the name says {Describe(claimed)} but the content is {unsupportedReason}");
        }

        if (claimed is not null && claimed != actual && !IsCompatible(claimed, actual))
        {
            return ContentDetection.Mismatch($"the name says {Describe(claimed)} but the content is {Describe(actual)}");
        }

        return ContentDetection.Supported(claimed is not null && IsCompatible(claimed, actual) ? claimed : actual);
    }

    private static string? DetectFromContent(ReadOnlySpan<byte> content, string? claimed, out string? unsupportedReason)
    {
        unsupportedReason = null;
        if (content[..Math.Min(SniffLength, content.Length)].IndexOf("%PDF-"u8) >= 0)
        {
            return ContentTypes.Pdf;
        }

        if (ZipCentralDirectory.LooksLikeZip(content))
        {
            if (!ZipCentralDirectory.TryRead(content, ushort.MaxValue, out var entries, out var error))
            {
                unsupportedReason = $"a ZIP archive that cannot be read: {error}";
                return null;
            }

            var isWord = entries.Any(e => e.Name == "[Content_Types].xml") && entries.Any(e => e.Name == "word/document.xml");
            unsupportedReason = isWord ? null : "a ZIP archive that is not a Word document";
            return isWord ? ContentTypes.Docx : null;
        }

        foreach (var (magic, description) in KnownBinaryFormats)
        {
            if (content.StartsWith(magic))
            {
                unsupportedReason = description;
                return null;
            }
        }

        if (!TextDecoding.IsText(content))
        {
            unsupportedReason = "binary data, not text";
            return null;
        }

        return claimed switch
        {
            ContentTypes.Json => IsJson(content) ? ContentTypes.Json : ContentTypes.PlainText,
            ContentTypes.Markdown or ContentTypes.Csv or ContentTypes.Html or ContentTypes.PlainText => claimed,
            _ => GuessTextFormat(content),
        };
    }

    // Only a name that says nothing needs the text itself.
    private static string GuessTextFormat(ReadOnlySpan<byte> content)
    {
        var text = TextDecoding.Decode(content);
        return LooksLikeHtml(text) ? ContentTypes.Html
            : StartsLikeJson(text) && IsJson(content) ? ContentTypes.Json
            : ContentTypes.PlainText;
    }

    /// <summary>Text formats may legitimately hold each other's syntax (a .txt of HTML is still text).</summary>
    private static bool IsCompatible(string claimed, string actual) =>
        actual == ContentTypes.PlainText && claimed is ContentTypes.Markdown or ContentTypes.Csv or ContentTypes.Html or ContentTypes.PlainText;

    private static string? ClaimedType(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".pdf" => ContentTypes.Pdf,
        ".docx" => ContentTypes.Docx,
        ".html" or ".htm" or ".xhtml" => ContentTypes.Html,
        ".md" or ".markdown" => ContentTypes.Markdown,
        ".csv" => ContentTypes.Csv,
        ".json" => ContentTypes.Json,
        ".txt" or ".text" => ContentTypes.PlainText,
        _ => null,
    };

    private static string Describe(string contentType) => contentType switch
    {
        ContentTypes.Pdf => "a PDF document",
        ContentTypes.Docx => "a Word document",
        ContentTypes.Html => "an HTML page",
        ContentTypes.Markdown => "Markdown text",
        ContentTypes.Csv => "CSV text",
        ContentTypes.Json => "JSON",
        _ => "plain text",
    };

    private static bool LooksLikeHtml(string text)
    {
        var head = text.AsSpan(0, Math.Min(SniffLength, text.Length)).TrimStart();
        return head.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase) ||
            head.Contains("<html", StringComparison.OrdinalIgnoreCase) ||
            head.Contains("<head", StringComparison.OrdinalIgnoreCase) ||
            head.Contains("<body", StringComparison.OrdinalIgnoreCase);
    }

    private static bool StartsLikeJson(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        return trimmed.Length > 0 && trimmed[0] is '{' or '[';
    }

    /// <summary>Checks syntax only; the reader keeps its own stack, so deep nesting cannot overflow ours.</summary>
    private static bool IsJson(ReadOnlySpan<byte> content)
    {
        var reader = new Utf8JsonReader(TextDecoding.WithoutUtf8Bom(content), new JsonReaderOptions { MaxDepth = int.MaxValue, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
