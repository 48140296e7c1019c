using System.Text;
using System.Text.Unicode;

namespace Rag.Core.Extraction;

/// <summary>Turns bytes into text when they are text: UTF-8 (with or without BOM) or UTF-16 with a BOM.</summary>
internal static class TextDecoding
{
    /// <summary>Returns null for bytes that are not text: invalid UTF-8, NULs, or too many control characters.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> content)
    {
        string text;
        if (content.StartsWith<byte>([0xFF, 0xFE]))
        {
            text = Encoding.Unicode.GetString(content[2..]);
        }
        else if (content.StartsWith<byte>([0xFE, 0xFF]))
        {
            text = Encoding.BigEndianUnicode.GetString(content[2..]);
        }
        else
        {
            var body = WithoutUtf8Bom(content);
            if (!Utf8.IsValid(body))
            {
                return null;
            }

            text = Encoding.UTF8.GetString(body);
        }

        return LooksBinary(text) ? null : text;
    }

    public static string Decode(ReadOnlySpan<byte> content) =>
        TryDecode(content) ?? throw new ExtractionException("The content is not text (it is not valid UTF-8 or has binary control characters).");

    public static ReadOnlySpan<byte> WithoutUtf8Bom(ReadOnlySpan<byte> content) =>
        content.StartsWith<byte>([0xEF, 0xBB, 0xBF]) ? content[3..] : content;

    private static bool LooksBinary(string text)
    {
        var controls = 0;
        foreach (var c in text)
        {
            if (c == '\0')
            {
                return true;
            }

            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r' or '\f'))
            {
                controls++;
            }
        }

        // A stray escape sequence is tolerable in text; more than 1 in 100 characters is not.
        return controls * 100 > text.Length;
    }
}
