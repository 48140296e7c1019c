using System.Text;

namespace Rag.Core.Extraction.Pdf;

/// <summary>
/// A ToUnicode CMap: the code space (which byte lengths codes have) and code → text mappings from
/// bfchar and bfrange (both the incrementing and the array form).
/// </summary>
internal sealed class ToUnicodeCMap
{
    private const int MaxRangeSize = 65_536;

    private readonly Dictionary<uint, string> _map = [];
    private readonly List<(int Length, uint Low, uint High)> _codeSpaces = [];

    public bool HasCodeSpaces => _codeSpaces.Count > 0;

    public static ToUnicodeCMap Parse(byte[] data)
    {
        var cmap = new ToUnicodeCMap();
        var lexer = new PdfLexer(data);
        var operands = new List<object>();
        var guard = 0;
        while (guard++ < 1_000_000)
        {
            var token = lexer.ReadObject(false);
            if (token is null)
            {
                break;
            }

            if (token is not PdfOperator op)
            {
                operands.Add(token);
                continue;
            }

            switch (op.Value)
            {
                case "endcodespacerange":
                    for (var i = 0; i + 1 < operands.Count; i += 2)
                    {
                        if (operands[i] is PdfString low && operands[i + 1] is PdfString high && low.Bytes.Length is > 0 and <= 4)
                        {
                            cmap._codeSpaces.Add((low.Bytes.Length, ToCode(low.Bytes), ToCode(high.Bytes)));
                        }
                    }

                    break;
                case "endbfchar":
                    for (var i = 0; i + 1 < operands.Count; i += 2)
                    {
                        if (operands[i] is PdfString code && code.Bytes.Length <= 4)
                        {
                            var text = operands[i + 1] switch
                            {
                                PdfString s => Utf16(s.Bytes),
                                PdfName name => GlyphNames.ToText(name.Value),
                                _ => null,
                            };
                            if (text is not null)
                            {
                                cmap._map[ToCode(code.Bytes)] = text;
                            }
                        }
                    }

                    break;
                case "endbfrange":
                    for (var i = 0; i + 2 < operands.Count; i += 3)
                    {
                        if (operands[i] is PdfString low && operands[i + 1] is PdfString high && low.Bytes.Length <= 4)
                        {
                            cmap.AddRange(ToCode(low.Bytes), ToCode(high.Bytes), operands[i + 2]);
                        }
                    }

                    break;
            }

            operands.Clear();
        }

        return cmap;
    }

    /// <summary>Splits a shown string into codes using the code space; without one, 2-byte codes.</summary>
    public int CodeLength(ReadOnlySpan<byte> bytes)
    {
        if (_codeSpaces.Count == 0)
        {
            return Math.Min(2, bytes.Length);
        }

        for (var length = 1; length <= 4 && length <= bytes.Length; length++)
        {
            var code = ToCode(bytes[..length]);
            foreach (var space in _codeSpaces)
            {
                if (space.Length == length && code >= space.Low && code <= space.High)
                {
                    return length;
                }
            }
        }

        return Math.Min(_codeSpaces.Min(s => s.Length), bytes.Length);
    }

    public string? Lookup(uint code) => _map.GetValueOrDefault(code);

    public static uint ToCode(ReadOnlySpan<byte> bytes)
    {
        uint code = 0;
        foreach (var b in bytes)
        {
            code = (code << 8) | b;
        }

        return code;
    }

    private void AddRange(uint low, uint high, object destination)
    {
        if (high < low || high - low > MaxRangeSize)
        {
            return;
        }

        if (destination is PdfArray array)
        {
            for (var i = 0; i < array.Count && low + i <= high; i++)
            {
                if (array[i] is PdfString s)
                {
                    _map[low + (uint)i] = Utf16(s.Bytes);
                }
            }

            return;
        }

        if (destination is not PdfString start || start.Bytes.Length == 0)
        {
            return;
        }

        // The last byte of the destination increments across the range.
        var bytes = (byte[])start.Bytes.Clone();
        for (var code = low; code <= high; code++)
        {
            _map[code] = Utf16(bytes);
            var lastUnit = bytes.Length >= 2 ? (bytes[^2] << 8) | bytes[^1] : bytes[^1];
            lastUnit++;
            if (bytes.Length >= 2)
            {
                bytes[^2] = (byte)(lastUnit >> 8);
            }

            bytes[^1] = (byte)lastUnit;
        }
    }

    private static string Utf16(byte[] bytes) =>
        bytes.Length == 1 ? ((char)bytes[0]).ToString() : Encoding.BigEndianUnicode.GetString(bytes, 0, bytes.Length & ~1);
}
