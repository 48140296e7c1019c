using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Rag.Core.Extraction;

/// <summary>Turns bytes into text when they are text: UTF-8 (with or without BOM) or UTF-16 with a BOM.</summary>
internal static class TextDecoding
{
    // UTF-8 bytes that are, or may begin, a control character other than tab, line feed, form feed and carriage
    // return: C0 controls and DEL are single bytes, C1 controls (U+0080-U+009F) start with 0xC2.
    private static readonly SearchValues<byte> PossibleControls = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0B, 0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
         0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F, 0xC2]);

    /// <summary>
    /// Whether <see cref="TryDecode"/> would return text, without building the string when the answer is clear from
    /// the bytes: valid UTF-8 in which no byte can start a control character is text.
    /// </summary>
    public static bool IsText(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith<byte>([0xFF, 0xFE]) || content.StartsWith<byte>([0xFE, 0xFF]))
        {
            return TryDecode(content) is not null;
        }

        var body = WithoutUtf8Bom(content);
        return Utf8.IsValid(body) && (body.IndexOfAny(PossibleControls) < 0 || !LooksBinary(Encoding.UTF8.GetString(body)));
    }

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
