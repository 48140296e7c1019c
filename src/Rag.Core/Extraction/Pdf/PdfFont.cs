using System.Text;
using System.Text.RegularExpressions;

namespace Rag.Core.Extraction.Pdf;

/// <summary>One shown character: its text (possibly several chars, e.g. a ligature) and its advance in text space units / 1000.</summary>
internal readonly record struct ShownGlyph(string Text, double Width, bool IsSingleByteSpace);

/// <summary>
/// What we need of a font to read text: how shown bytes split into codes, what text each code means
/// (ToUnicode first, then the encoding and /Differences), and how wide each glyph is (so gaps become spaces).
/// </summary>
internal sealed partial class PdfFont
{
    private const double DefaultWidth = 500;

    private readonly ToUnicodeCMap? _toUnicode;
    private readonly string?[] _simpleEncoding = new string?[256];
    private readonly bool _isComposite;
    private readonly Dictionary<uint, double> _widths = [];
    private readonly double _defaultWidth;

    private PdfFont(ToUnicodeCMap? toUnicode, bool isComposite, double defaultWidth)
    {
        _toUnicode = toUnicode;
        _isComposite = isComposite;
        _defaultWidth = defaultWidth;
    }

    public static PdfFont Load(PdfDictionary dictionary, PdfFile file)
    {
        var subtype = (file.Resolve(dictionary.GetRaw("Subtype")) as PdfName)?.Value;
        var toUnicode = file.Resolve(dictionary.GetRaw("ToUnicode")) is PdfStream cmapStream ? TryParseCMap(cmapStream, file) : null;
        if (subtype == "Type0")
        {
            return LoadComposite(dictionary, file, toUnicode);
        }

        var font = new PdfFont(toUnicode, isComposite: false, defaultWidth: DefaultWidth);
        font.LoadSimpleEncoding(dictionary, file, subtype);
        // Type 3 glyph widths are in glyph space; /FontMatrix maps them to text space (usually 1/1000 for other fonts).
        var widthScale = subtype == "Type3" && Matrix.FromArray(file.Resolve(dictionary.GetRaw("FontMatrix")) as PdfArray) is { } fontMatrix
            ? fontMatrix.A * 1000
            : 1;
        var firstChar = file.Resolve(dictionary.GetRaw("FirstChar")) is double first ? (int)first : 0;
        if (file.Resolve(dictionary.GetRaw("Widths")) is PdfArray widths)
        {
            for (var i = 0; i < widths.Count; i++)
            {
                if (file.Resolve(widths[i]) is double width)
                {
                    font._widths[(uint)(firstChar + i)] = width * widthScale;
                }
            }
        }

        return font;
    }

    public IEnumerable<ShownGlyph> Decode(byte[] bytes)
    {
        var position = 0;
        while (position < bytes.Length)
        {
            var length = _isComposite ? (_toUnicode is { HasCodeSpaces: true } ? _toUnicode.CodeLength(bytes.AsSpan(position)) : Math.Min(2, bytes.Length - position)) : 1;
            var code = ToUnicodeCMap.ToCode(bytes.AsSpan(position, length));
            position += length;
            var text = _toUnicode?.Lookup(code) ?? (_isComposite ? null : _simpleEncoding[code]);
            yield return new ShownGlyph(text ?? "", _widths.TryGetValue(code, out var width) ? width : _defaultWidth, !_isComposite && code == 32);
        }
    }

    private static PdfFont LoadComposite(PdfDictionary dictionary, PdfFile file, ToUnicodeCMap? toUnicode)
    {
        var descendant = file.Resolve(dictionary.GetRaw("DescendantFonts")) is PdfArray { Count: > 0 } descendants
            ? file.ResolveDictionary(descendants[0])
            : null;
        var defaultWidth = descendant is not null && file.Resolve(descendant.GetRaw("DW")) is double dw ? dw : 1000;
        var font = new PdfFont(toUnicode, isComposite: true, defaultWidth);
        if (descendant is not null && file.Resolve(descendant.GetRaw("W")) is PdfArray w)
        {
            font.LoadCidWidths(w, file);
        }

        return font;
    }

    /// <summary>/W holds runs "c [w1 w2 ...]" and "cFirst cLast w".</summary>
    private void LoadCidWidths(PdfArray w, PdfFile file)
    {
        for (var i = 0; i < w.Count;)
        {
            if (file.Resolve(w[i]) is not double first)
            {
                return;
            }

            if (i + 1 < w.Count && file.Resolve(w[i + 1]) is PdfArray list)
            {
                for (var j = 0; j < list.Count && j < 65_536; j++)
                {
                    if (file.Resolve(list[j]) is double width)
                    {
                        _widths[(uint)(first + j)] = width;
                    }
                }

                i += 2;
            }
            else if (i + 2 < w.Count && file.Resolve(w[i + 1]) is double last && file.Resolve(w[i + 2]) is double width)
            {
                for (var c = (uint)first; c <= (uint)last && c - first < 65_536; c++)
                {
                    _widths[c] = width;
                }

                i += 3;
            }
            else
            {
                return;
            }
        }
    }

    private void LoadSimpleEncoding(PdfDictionary dictionary, PdfFile file, string? subtype)
    {
        var encoding = file.Resolve(dictionary.GetRaw("Encoding"));
        var baseName = encoding switch
        {
            PdfName name => name.Value,
            PdfDictionary d when file.Resolve(d.GetRaw("BaseEncoding")) is PdfName b => b.Value,
            _ => null,
        };

        // Without a named encoding, a Type 1 font uses the encoding built into its font program.
        var baseTable = baseName is null ? null : SimpleEncodings.ByName(baseName);
        if (baseTable is null && subtype is "Type1" or "MMType1")
        {
            baseTable = BuiltInEncoding(dictionary, file);
        }

        (baseTable ?? (IsSymbolic(dictionary, file) ? null : SimpleEncodings.Standard) ?? SimpleEncodings.WinAnsi).CopyTo(_simpleEncoding, 0);

        if (encoding is PdfDictionary encodingDictionary && file.Resolve(encodingDictionary.GetRaw("Differences")) is PdfArray differences)
        {
            var code = 0;
            foreach (var item in differences)
            {
                switch (file.Resolve(item))
                {
                    case double number:
                        code = (int)number;
                        break;
                    case PdfName glyph when code is >= 0 and < 256:
                        _simpleEncoding[code++] = GlyphNames.ToText(glyph.Value);
                        break;
                }
            }
        }
    }

    private static bool IsSymbolic(PdfDictionary dictionary, PdfFile file) =>
        file.ResolveDictionary(dictionary.GetRaw("FontDescriptor")) is { } descriptor &&
        file.Resolve(descriptor.GetRaw("Flags")) is double flags && ((int)flags & 4) != 0 && ((int)flags & 32) == 0;

    /// <summary>Reads "dup code /name put" entries from an embedded Type 1 font program's clear-text part.</summary>
    private static string?[]? BuiltInEncoding(PdfDictionary dictionary, PdfFile file)
    {
        if (file.ResolveDictionary(dictionary.GetRaw("FontDescriptor")) is not { } descriptor ||
            file.Resolve(descriptor.GetRaw("FontFile")) is not PdfStream fontFile)
        {
            return null;
        }

        byte[] program;
        try
        {
            program = file.DecodeStream(fontFile);
        }
        catch (PdfFormatException)
        {
            return null;
        }

        var clearLength = file.Resolve(fontFile.Dictionary.GetRaw("Length1")) is double l1 ? Math.Min((int)l1, program.Length) : program.Length;
        var clearText = Encoding.Latin1.GetString(program, 0, clearLength);
        if (clearText.Contains("/Encoding StandardEncoding", StringComparison.Ordinal))
        {
            return SimpleEncodings.Standard;
        }

        var table = new string?[256];
        foreach (Match match in EncodingEntry().Matches(clearText))
        {
            if (int.TryParse(match.Groups[1].ValueSpan, out var code) && code is >= 0 and < 256)
            {
                table[code] = GlyphNames.ToText(match.Groups[2].Value);
            }
        }

        return table;
    }

    private static ToUnicodeCMap? TryParseCMap(PdfStream stream, PdfFile file)
    {
        try
        {
            return ToUnicodeCMap.Parse(file.DecodeStream(stream));
        }
        catch (PdfFormatException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"dup\s+(\d+)\s*/([^\s/\[\]()<>{}]+)\s+put", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex EncodingEntry();
}
