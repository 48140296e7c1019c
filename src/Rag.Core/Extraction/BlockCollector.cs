using System.Text;

namespace Rag.Core.Extraction;

/// <summary>
/// Accumulates blocks for one document: normalises whitespace, tracks the heading path and enforces the
/// character budget, so each format's extractor only has to walk its own structure.
/// </summary>
internal sealed class BlockCollector(ExtractionOptions options)
{
    private readonly List<TextBlock> _blocks = [];
    private readonly List<(int Level, string Text)> _headings = [];
    private IReadOnlyList<string> _headingPath = [];
    private long _characters;

    public string? FirstHeading { get; private set; }

    public int? Page { get; set; }

    public IReadOnlyList<TextBlock> Blocks => _blocks;

    public void AddHeading(int level, string text)
    {
        var normalized = Normalize(text);
        if (normalized.Length == 0)
        {
            return;
        }

        _headings.RemoveAll(h => h.Level >= level);
        _headings.Add((level, normalized));
        _headingPath = _headings.Select(h => h.Text).ToArray();
        FirstHeading ??= normalized;
        Append(BlockKind.Heading, normalized);
    }

    /// <summary>Adds a block whose whitespace collapses to single spaces.</summary>
    public void Add(BlockKind kind, string text)
    {
        var normalized = Normalize(text);
        if (normalized.Length > 0)
        {
            Append(kind, normalized);
        }
    }

    /// <summary>Adds a block whose line structure matters (code, table rows): lines are kept, each trimmed at the end.</summary>
    public void AddLines(BlockKind kind, string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n')
            .Select(line => kind == BlockKind.Code ? line.TrimEnd() : Normalize(line))
            .SkipWhile(line => line.Length == 0)
            .Reverse().SkipWhile(line => line.Length == 0).Reverse();
        var joined = string.Join('\n', lines);
        if (joined.Length > 0)
        {
            Append(kind, joined);
        }
    }

    public ExtractedDocument ToDocument(string? title)
    {
        var normalizedTitle = title is null ? null : Normalize(title);
        return new ExtractedDocument(string.IsNullOrEmpty(normalizedTitle) ? FirstHeading : normalizedTitle, _blocks);
    }

    private void Append(BlockKind kind, string text)
    {
        _characters += text.Length + 2;
        if (_characters > options.MaxCharacters)
        {
            throw new ExtractionException($"The document's text exceeds the limit of {options.MaxCharacters:N0} characters.");
        }

        _blocks.Add(new TextBlock(kind, text, _headingPath, Page));
    }

    /// <summary>Collapses every run of whitespace (including no-break spaces) to one space and trims the ends.</summary>
    public static string Normalize(string text)
    {
        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || c == '\u00AD' || char.IsControl(c))
            {
                // A soft hyphen marks a possible break, not a character; other controls are noise.
                pendingSpace |= c != '\u00AD';
                continue;
            }

            if (pendingSpace && builder.Length > 0)
            {
                builder.Append(' ');
            }

            pendingSpace = false;
            builder.Append(c);
        }

        return builder.ToString();
    }
}
