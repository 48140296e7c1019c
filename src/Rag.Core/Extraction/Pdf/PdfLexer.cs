using System.Globalization;
using System.Text;

namespace Rag.Core.Extraction.Pdf;

/// <summary>
/// Reads PDF tokens and objects from bytes, both for the file structure and for content streams.
/// Nesting is bounded so hostile input cannot exhaust the stack.
/// </summary>
internal sealed class PdfLexer(ReadOnlyMemory<byte> data, int position = 0)
{
    private const int MaxNesting = 64;

    public ReadOnlyMemory<byte> Data { get; } = data;

    public int Position { get; set; } = position;

    public static bool IsWhitespace(byte b) => b is 0 or 9 or 10 or 12 or 13 or 32;

    public static bool IsDelimiter(byte b) => b is (byte)'(' or (byte)')' or (byte)'<' or (byte)'>' or (byte)'[' or (byte)']' or (byte)'{' or (byte)'}' or (byte)'/' or (byte)'%';

    public void SkipWhitespaceAndComments()
    {
        var span = Data.Span;
        while (Position < span.Length)
        {
            var b = span[Position];
            if (IsWhitespace(b))
            {
                Position++;
            }
            else if (b == '%')
            {
                while (Position < span.Length && span[Position] is not ((byte)'\r' or (byte)'\n'))
                {
                    Position++;
                }
            }
            else
            {
                break;
            }
        }
    }

    /// <summary>
    /// Reads one object. Bare keywords come back as <see cref="PdfOperator"/>; with
    /// <paramref name="allowReferences"/>, "n g R" becomes a <see cref="PdfReference"/>. Null at the end.
    /// </summary>
    public object? ReadObject(bool allowReferences, int depth = 0)
    {
        if (depth > MaxNesting)
        {
            throw new PdfFormatException("objects are nested too deeply");
        }

        SkipWhitespaceAndComments();
        var span = Data.Span;
        if (Position >= span.Length)
        {
            return null;
        }

        var b = span[Position];
        switch (b)
        {
            case (byte)'/':
                Position++;
                return new PdfName(ReadName());
            case (byte)'(':
                Position++;
                return new PdfString(ReadLiteralString());
            case (byte)'<' when Position + 1 < span.Length && span[Position + 1] == '<':
                Position += 2;
                return ReadDictionary(allowReferences, depth);
            case (byte)'<':
                Position++;
                return new PdfString(ReadHexString());
            case (byte)'[':
                Position++;
                return ReadArray(allowReferences, depth);
            case (byte)']' or (byte)'>' or (byte)')' or (byte)'{' or (byte)'}':
                Position++;
                return new PdfOperator(((char)b).ToString());
        }

        var token = ReadRegularToken();
        if (TryParseNumber(token, out var number))
        {
            if (allowReferences && number >= 0 && number == Math.Floor(number) && TryReadReferenceTail(out var generation))
            {
                return new PdfReference((int)number, generation);
            }

            return number;
        }

        return token switch
        {
            "true" => true,
            "false" => false,
            "null" => PdfNull.Instance,
            _ => new PdfOperator(token),
        };
    }

    public string ReadRegularToken()
    {
        var span = Data.Span;
        var start = Position;
        while (Position < span.Length && !IsWhitespace(span[Position]) && !IsDelimiter(span[Position]))
        {
            Position++;
        }

        if (Position == start)
        {
            // A stray delimiter: consume it so callers always make progress.
            Position++;
            return Encoding.Latin1.GetString(span.Slice(start, 1));
        }

        return Encoding.Latin1.GetString(span[start..Position]);
    }

    public static bool TryParseNumber(string token, out double value)
    {
        value = 0;
        if (token.Length == 0 || !(char.IsAsciiDigit(token[0]) || token[0] is '-' or '+' or '.'))
        {
            return false;
        }

        // Some writers emit "--5" or "5-": be as lenient as common readers.
        var cleaned = token.Length > 1 && token[0] == '-' && token[1] == '-' ? token[1..] : token;
        return double.TryParse(cleaned, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }

    private bool TryReadReferenceTail(out int generation)
    {
        generation = 0;
        var saved = Position;
        SkipWhitespaceAndComments();
        var genToken = ReadDigits();
        if (genToken.Length > 0 && genToken.Length < 7)
        {
            SkipWhitespaceAndComments();
            var span = Data.Span;
            if (Position < span.Length && span[Position] == 'R' && (Position + 1 >= span.Length || IsWhitespace(span[Position + 1]) || IsDelimiter(span[Position + 1])))
            {
                Position++;
                generation = int.Parse(genToken, CultureInfo.InvariantCulture);
                return true;
            }
        }

        Position = saved;
        return false;
    }

    private string ReadDigits()
    {
        var span = Data.Span;
        var start = Position;
        while (Position < span.Length && char.IsAsciiDigit((char)span[Position]))
        {
            Position++;
        }

        return Encoding.Latin1.GetString(span[start..Position]);
    }

    private string ReadName()
    {
        var span = Data.Span;
        var builder = new StringBuilder();
        while (Position < span.Length && !IsWhitespace(span[Position]) && !IsDelimiter(span[Position]))
        {
            var c = span[Position++];
            if (c == '#' && Position + 1 < span.Length && IsHex(span[Position]) && IsHex(span[Position + 1]))
            {
                c = (byte)((HexValue(span[Position]) << 4) | HexValue(span[Position + 1]));
                Position += 2;
            }

            builder.Append((char)c);
        }

        return builder.ToString();
    }

    private byte[] ReadLiteralString()
    {
        var span = Data.Span;
        var output = new List<byte>();
        var depth = 1;
        while (Position < span.Length)
        {
            var c = span[Position++];
            switch (c)
            {
                case (byte)'(':
                    depth++;
                    output.Add(c);
                    break;
                case (byte)')':
                    if (--depth == 0)
                    {
                        return [.. output];
                    }

                    output.Add(c);
                    break;
                case (byte)'\\' when Position < span.Length:
                    ReadEscape(span, output);
                    break;
                default:
                    output.Add(c);
                    break;
            }
        }

        return [.. output];
    }

    private void ReadEscape(ReadOnlySpan<byte> span, List<byte> output)
    {
        var e = span[Position++];
        switch (e)
        {
            case (byte)'n': output.Add((byte)'\n'); break;
            case (byte)'r': output.Add((byte)'\r'); break;
            case (byte)'t': output.Add((byte)'\t'); break;
            case (byte)'b': output.Add(8); break;
            case (byte)'f': output.Add(12); break;
            case (byte)'\r':
                if (Position < span.Length && span[Position] == '\n')
                {
                    Position++;
                }

                break;
            case (byte)'\n':
                break;
            case >= (byte)'0' and <= (byte)'7':
                var value = e - '0';
                for (var i = 0; i < 2 && Position < span.Length && span[Position] is >= (byte)'0' and <= (byte)'7'; i++)
                {
                    value = (value * 8) + (span[Position++] - '0');
                }

                output.Add((byte)value);
                break;
            default:
                output.Add(e);
                break;
        }
    }

    private byte[] ReadHexString()
    {
        var span = Data.Span;
        var output = new List<byte>();
        int? high = null;
        while (Position < span.Length)
        {
            var c = span[Position++];
            if (c == '>')
            {
                break;
            }

            if (!IsHex(c))
            {
                continue;
            }

            if (high is null)
            {
                high = HexValue(c);
            }
            else
            {
                output.Add((byte)((high.Value << 4) | HexValue(c)));
                high = null;
            }
        }

        if (high is not null)
        {
            output.Add((byte)(high.Value << 4));
        }

        return [.. output];
    }

    private PdfArray ReadArray(bool allowReferences, int depth)
    {
        var array = new PdfArray();
        while (true)
        {
            var item = ReadObject(allowReferences, depth + 1);
            switch (item)
            {
                case null:
                    return array;
                case PdfOperator { Value: "]" }:
                    return array;
                default:
                    array.Add(item);
                    break;
            }
        }
    }

    private PdfDictionary ReadDictionary(bool allowReferences, int depth)
    {
        var dictionary = new PdfDictionary();
        while (true)
        {
            SkipWhitespaceAndComments();
            var span = Data.Span;
            if (Position >= span.Length)
            {
                return dictionary;
            }

            if (span[Position] == '>')
            {
                Position += Position + 1 < span.Length && span[Position + 1] == '>' ? 2 : 1;
                return dictionary;
            }

            var key = ReadObject(allowReferences, depth + 1);
            if (key is not PdfName name)
            {
                if (key is null || key is PdfOperator { Value: "endobj" or "stream" })
                {
                    return dictionary;
                }

                continue;
            }

            var value = ReadObject(allowReferences, depth + 1);
            if (value is null)
            {
                return dictionary;
            }

            if (value is PdfOperator { Value: ">" })
            {
                Position--;
                continue;
            }

            dictionary[name.Value] = value;
        }
    }

    public static bool IsHex(byte c) => c is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    public static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/// <summary>The PDF's structure is broken in a way we cannot read past.</summary>
internal sealed class PdfFormatException(string message) : Exception(message);
