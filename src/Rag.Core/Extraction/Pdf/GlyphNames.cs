using System.Globalization;

namespace Rag.Core.Extraction.Pdf;

/// <summary>
/// Maps glyph names (from /Differences and font programs) to text: the Latin-1 names, common punctuation,
/// ligatures, and the uniXXXX / uXXXX[XX] conventions. Rarer names fall back to nothing rather than noise.
/// </summary>
internal static class GlyphNames
{
    // Names of the printable ASCII characters 0x20–0x7E, in order.
    private const string AsciiNames =
        "space exclam quotedbl numbersign dollar percent ampersand quotesingle parenleft parenright asterisk plus comma hyphen period slash " +
        "zero one two three four five six seven eight nine colon semicolon less equal greater question at " +
        "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z bracketleft backslash bracketright asciicircum underscore grave " +
        "a b c d e f g h i j k l m n o p q r s t u v w x y z braceleft bar braceright asciitilde";

    // Names of Latin-1 0xA0–0xFF, in order.
    private const string Latin1Names =
        "nbspace exclamdown cent sterling currency yen brokenbar section dieresis copyright ordfeminine guillemotleft logicalnot sfthyphen registered macron " +
        "degree plusminus twosuperior threesuperior acute mu paragraph periodcentered cedilla onesuperior ordmasculine guillemotright onequarter onehalf threequarters questiondown " +
        "Agrave Aacute Acircumflex Atilde Adieresis Aring AE Ccedilla Egrave Eacute Ecircumflex Edieresis Igrave Iacute Icircumflex Idieresis " +
        "Eth Ntilde Ograve Oacute Ocircumflex Otilde Odieresis multiply Oslash Ugrave Uacute Ucircumflex Udieresis Yacute Thorn germandbls " +
        "agrave aacute acircumflex atilde adieresis aring ae ccedilla egrave eacute ecircumflex edieresis igrave iacute icircumflex idieresis " +
        "eth ntilde ograve oacute ocircumflex otilde odieresis divide oslash ugrave uacute ucircumflex udieresis yacute thorn ydieresis";

    private static readonly Dictionary<string, string> Table = Build();

    public static string? ToText(string name)
    {
        if (Table.TryGetValue(name, out var text))
        {
            return text;
        }

        // "a.sc", "one.oldstyle", "f_i": suffixes mark variants, underscores join ligature parts.
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            return ToText(name[..dot]);
        }

        if (name.Contains('_', StringComparison.Ordinal))
        {
            var parts = name.Split('_').Select(ToText).ToArray();
            return parts.All(p => p is not null) ? string.Concat(parts) : null;
        }

        if (name.StartsWith("uni", StringComparison.Ordinal) && name.Length >= 7 && (name.Length - 3) % 4 == 0)
        {
            var chars = new List<char>();
            for (var i = 3; i < name.Length; i += 4)
            {
                if (!ushort.TryParse(name.AsSpan(i, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var unit))
                {
                    return null;
                }

                chars.Add((char)unit);
            }

            return new string([.. chars]);
        }

        if (name.Length is >= 5 and <= 7 && name[0] == 'u' &&
            int.TryParse(name.AsSpan(1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var codePoint) &&
            codePoint is >= 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF))
        {
            return char.ConvertFromUtf32(codePoint);
        }

        return null;
    }

    private static Dictionary<string, string> Build()
    {
        var table = new Dictionary<string, string>(StringComparer.Ordinal);
        var ascii = AsciiNames.Split(' ');
        for (var i = 0; i < ascii.Length; i++)
        {
            table[ascii[i]] = ((char)(0x20 + i)).ToString();
        }

        var latin1 = Latin1Names.Split(' ');
        for (var i = 0; i < latin1.Length; i++)
        {
            table[latin1[i]] = ((char)(0xA0 + i)).ToString();
        }

        foreach (var (name, text) in new (string, string)[]
        {
            ("quoteright", "\u2019"), ("quoteleft", "\u2018"), ("quotedblleft", "\u201C"), ("quotedblright", "\u201D"),
            ("quotesinglbase", "\u201A"), ("quotedblbase", "\u201E"), ("guilsinglleft", "\u2039"), ("guilsinglright", "\u203A"),
            ("endash", "\u2013"), ("emdash", "\u2014"), ("bullet", "\u2022"), ("ellipsis", "\u2026"), ("dagger", "\u2020"),
            ("daggerdbl", "\u2021"), ("perthousand", "\u2030"), ("trademark", "\u2122"), ("Euro", "\u20AC"), ("florin", "\u0192"),
            ("OE", "\u0152"), ("oe", "\u0153"), ("Scaron", "\u0160"), ("scaron", "\u0161"), ("Zcaron", "\u017D"), ("zcaron", "\u017E"),
            ("Ydieresis", "\u0178"), ("Lslash", "\u0141"), ("lslash", "\u0142"), ("dotlessi", "\u0131"), ("dotlessj", "\u0237"),
            ("circumflex", "\u02C6"), ("tilde", "\u02DC"), ("caron", "\u02C7"), ("breve", "\u02D8"), ("dotaccent", "\u02D9"),
            ("ring", "\u02DA"), ("ogonek", "\u02DB"), ("hungarumlaut", "\u02DD"), ("fraction", "\u2044"), ("minus", "\u2212"),
            ("fi", "fi"), ("fl", "fl"), ("ff", "ff"), ("ffi", "ffi"), ("ffl", "ffl"), ("dollaroldstyle", "$"),
            ("visiblespace", "\u2423"), ("asteriskmath", "*"), ("periodcentered", "\u00B7"), ("space", " "), ("nbspace", " "),
            ("arrowright", "\u2192"), ("arrowleft", "\u2190"), ("similar", "\u223C"), ("lessequal", "\u2264"), ("greaterequal", "\u2265"),
            ("notequal", "\u2260"), ("infinity", "\u221E"), ("degree", "\u00B0"), ("copyright", "\u00A9"), ("registered", "\u00AE"),
            ("hyphen", "-"), ("sfthyphen", "\u00AD"), ("quotesingle", "'"), ("grave", "`"), ("section", "\u00A7"),
        })
        {
            table[name] = text;
        }

        return table;
    }
}
