namespace Rag.Core.Extraction.Pdf;

/// <summary>The built-in single-byte encodings of simple fonts, as code → text.</summary>
internal static class SimpleEncodings
{
    // Windows-1252's 0x80–0x9F, where it differs from Latin-1; '\0' marks unassigned codes.
    private const string WinAnsiHigh = "\u20AC\0\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\0\u017D\0\0\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\0\u017E\u0178";

    private const string MacRomanHigh =
        "ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø¿¡¬√ƒ≈∆«»… ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\uF8FFÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ";

    public static string?[] WinAnsi { get; } = BuildWinAnsi();

    public static string?[] MacRoman { get; } = BuildMacRoman();

    public static string?[] Standard { get; } = BuildStandard();

    public static string?[]? ByName(string name) => name switch
    {
        "WinAnsiEncoding" => WinAnsi,
        "MacRomanEncoding" => MacRoman,
        "StandardEncoding" => Standard,
        _ => null,
    };

    private static string?[] Ascii()
    {
        var table = new string?[256];
        for (var c = 0x20; c < 0x7F; c++)
        {
            table[c] = ((char)c).ToString();
        }

        return table;
    }

    private static string?[] BuildWinAnsi()
    {
        var table = Ascii();
        for (var i = 0; i < WinAnsiHigh.Length; i++)
        {
            table[0x80 + i] = WinAnsiHigh[i] == '\0' ? null : WinAnsiHigh[i].ToString();
        }

        for (var c = 0xA0; c <= 0xFF; c++)
        {
            table[c] = ((char)c).ToString();
        }

        table[0xAD] = "-";
        return table;
    }

    private static string?[] BuildMacRoman()
    {
        var table = Ascii();
        for (var i = 0; i < MacRomanHigh.Length && i < 128; i++)
        {
            table[0x80 + i] = MacRomanHigh[i].ToString();
        }

        return table;
    }

    private static string?[] BuildStandard()
    {
        var table = Ascii();
        table[0x27] = "\u2019";
        table[0x60] = "\u2018";
        foreach (var (code, text) in new (int, string)[]
        {
            (0xA1, "¡"), (0xA2, "¢"), (0xA3, "£"), (0xA4, "⁄"), (0xA5, "¥"), (0xA6, "ƒ"), (0xA7, "§"), (0xA8, "¤"), (0xA9, "'"),
            (0xAA, "“"), (0xAB, "«"), (0xAC, "‹"), (0xAD, "›"), (0xAE, "fi"), (0xAF, "fl"), (0xB1, "–"), (0xB2, "†"), (0xB3, "‡"),
            (0xB4, "·"), (0xB6, "¶"), (0xB7, "•"), (0xB8, "‚"), (0xB9, "„"), (0xBA, "”"), (0xBB, "»"), (0xBC, "…"), (0xBD, "‰"),
            (0xBF, "¿"), (0xC1, "`"), (0xC2, "´"), (0xC3, "ˆ"), (0xC4, "˜"), (0xC5, "¯"), (0xC6, "˘"), (0xC7, "˙"), (0xC8, "¨"),
            (0xCA, "˚"), (0xCB, "¸"), (0xCD, "˝"), (0xCE, "˛"), (0xCF, "ˇ"), (0xD0, "—"), (0xE1, "Æ"), (0xE3, "ª"), (0xE8, "Ł"),
            (0xE9, "Ø"), (0xEA, "Œ"), (0xEB, "º"), (0xF1, "æ"), (0xF5, "ı"), (0xF8, "ł"), (0xF9, "ø"), (0xFA, "œ"), (0xFB, "ß"),
        })
        {
            table[code] = text;
        }

        return table;
    }
}
