using System.Text;

namespace Rag.Core.Extraction.Pdf;

/// <summary>A line of text on a page: its baseline height, font size and text with spaces restored.</summary>
internal sealed record TextLine(string Text, double Y, double FontSize);

/// <summary>
/// Puts placed glyphs back into reading order: glyphs sharing a baseline form a line, lines run top to
/// bottom, horizontal gaps become spaces and larger vertical gaps or size changes start a new paragraph.
/// </summary>
internal static class PageLayout
{
    // Gaps wider than this fraction of the font size are word spaces (a space glyph is about 0.25 em).
    private const double WordGapEm = 0.18;

    public static List<TextLine> Lines(IReadOnlyList<PlacedGlyph> glyphs)
    {
        var ordered = glyphs.Where(g => double.IsFinite(g.X) && double.IsFinite(g.Y))
            .OrderByDescending(g => g.Y).ThenBy(g => g.X).ToList();
        var lines = new List<TextLine>();
        var current = new List<PlacedGlyph>();
        foreach (var glyph in ordered)
        {
            if (current.Count > 0 && Math.Abs(current[0].Y - glyph.Y) > 0.4 * Math.Max(current[0].FontSize, 1))
            {
                AddLine(current, lines);
                current.Clear();
            }

            current.Add(glyph);
        }

        AddLine(current, lines);
        return lines;
    }

    /// <summary>Groups lines into paragraphs; <paramref name="bodySize"/> is the document's usual font size.</summary>
    public static List<(string Text, double FontSize)> Paragraphs(List<TextLine> lines)
    {
        var paragraphs = new List<(string, double)>();
        var typicalGap = TypicalLineGap(lines);
        var text = new StringBuilder();
        TextLine? previous = null;
        foreach (var line in lines)
        {
            if (previous is not null)
            {
                var gap = previous.Y - line.Y;
                var sizeChanged = Math.Abs(line.FontSize - previous.FontSize) > 0.15 * Math.Max(previous.FontSize, 1);
                if (sizeChanged || gap > (typicalGap * 1.35) + 0.5 || gap < 0)
                {
                    paragraphs.Add((text.ToString(), previous.FontSize));
                    text.Clear();
                }
            }

            AppendLine(text, line.Text);
            previous = line;
        }

        if (previous is not null)
        {
            paragraphs.Add((text.ToString(), previous.FontSize));
        }

        return paragraphs;
    }

    /// <summary>Joins a line to its paragraph, undoing an obvious end-of-line hyphenation ("exam-" + "ple").</summary>
    private static void AppendLine(StringBuilder paragraph, string line)
    {
        if (paragraph.Length == 0)
        {
            paragraph.Append(line);
            return;
        }

        if (paragraph.Length >= 2 && paragraph[^1] == '-' && char.IsLetter(paragraph[^2]) && line.Length > 0 && char.IsLower(line[0]))
        {
            paragraph.Length--;
            paragraph.Append(line);
            return;
        }

        paragraph.Append(' ').Append(line);
    }

    private static double TypicalLineGap(List<TextLine> lines)
    {
        var gaps = new List<double>();
        for (var i = 1; i < lines.Count; i++)
        {
            var gap = lines[i - 1].Y - lines[i].Y;
            if (gap > 0 && gap < 3 * Math.Max(lines[i].FontSize, 1))
            {
                gaps.Add(gap);
            }
        }

        if (gaps.Count == 0)
        {
            return lines.Count > 0 ? 1.2 * lines.Max(l => l.FontSize) : 12;
        }

        gaps.Sort();
        return gaps[gaps.Count / 2];
    }

    private static void AddLine(List<PlacedGlyph> glyphs, List<TextLine> lines)
    {
        if (glyphs.Count == 0)
        {
            return;
        }

        var text = new StringBuilder();
        PlacedGlyph? previous = null;
        foreach (var glyph in glyphs.OrderBy(g => g.X))
        {
            if (previous is { } p)
            {
                var gap = glyph.X - (p.X + p.Width);
                var lastIsSpace = text.Length > 0 && text[^1] == ' ';
                if (gap > WordGapEm * Math.Max(glyph.FontSize, 1) && !lastIsSpace && !glyph.Text.StartsWith(' '))
                {
                    text.Append(' ');
                }
            }

            text.Append(glyph.Text);
            previous = glyph;
        }

        var normalized = BlockCollector.Normalize(text.ToString());
        if (normalized.Length > 0)
        {
            var sizes = glyphs.Select(g => g.FontSize).Order().ToList();
            lines.Add(new TextLine(normalized, glyphs[0].Y, sizes[sizes.Count / 2]));
        }
    }
}
