using System.Xml;

namespace Rag.Core.Extraction.Docx;

/// <summary>
/// What a paragraph style means for structure: a heading level (0 for Title, 1–9 for headings) or a list.
/// Styles are resolved by their name and outline level, following basedOn, because style ids are
/// localised ("Überschrift1") while names are not.
/// </summary>
internal sealed class WordStyles
{
    private const string WordNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    private const int MaxBasedOnChain = 20;

    private readonly Dictionary<string, Style> _styles = new(StringComparer.OrdinalIgnoreCase);

    private sealed record Style(string? Name, string? BasedOn, int? OutlineLevel);

    public static WordStyles Read(byte[] stylesXml, CancellationToken cancellationToken)
    {
        var styles = new WordStyles();
        using var reader = XmlReader.Create(new MemoryStream(stylesXml), XmlSafety.Settings);
        string? id = null, name = null, basedOn = null;
        int? outline = null;
        try
        {
            while (reader.Read())
            {
                if (reader.NamespaceURI != WordNamespace)
                {
                    continue;
                }

                if (reader.NodeType == XmlNodeType.Element)
                {
                    switch (reader.LocalName)
                    {
                        case "style":
                            cancellationToken.ThrowIfCancellationRequested();
                            id = reader.GetAttribute("styleId", WordNamespace);
                            (name, basedOn, outline) = (null, null, null);
                            break;
                        case "name":
                            name = reader.GetAttribute("val", WordNamespace);
                            break;
                        case "basedOn":
                            basedOn = reader.GetAttribute("val", WordNamespace);
                            break;
                        case "outlineLvl" when int.TryParse(reader.GetAttribute("val", WordNamespace), out var level):
                            outline = level;
                            break;
                    }
                }
                else if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "style" && id is not null)
                {
                    styles._styles[id] = new Style(name, basedOn, outline);
                }
            }
        }
        catch (XmlException ex)
        {
            throw new ExtractionException($"The Word document's styles are damaged (XML error at line {ex.LineNumber}).", ex);
        }

        return styles;
    }

    public int? HeadingLevel(string? styleId)
    {
        for (var (id, hops) = (styleId, 0); id is not null && hops < MaxBasedOnChain; hops++)
        {
            var style = _styles.GetValueOrDefault(id);
            var level = LevelFromName(style?.Name ?? id);
            if (level is not null)
            {
                return level;
            }

            if (style?.OutlineLevel is >= 0 and < 9)
            {
                return style.OutlineLevel + 1;
            }

            id = style?.BasedOn;
        }

        return null;
    }

    public bool IsList(string? styleId)
    {
        var name = styleId is null ? null : _styles.GetValueOrDefault(styleId)?.Name ?? styleId;
        return name is not null && name.Replace(" ", "", StringComparison.Ordinal).StartsWith("ListParagraph", StringComparison.OrdinalIgnoreCase);
    }

    private static int? LevelFromName(string name)
    {
        var compact = name.Replace(" ", "", StringComparison.Ordinal);
        if (compact.Equals("Title", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        return compact.StartsWith("heading", StringComparison.OrdinalIgnoreCase) &&
            int.TryParse(compact.AsSpan("heading".Length), out var level) && level is >= 1 and <= 9
            ? level
            : null;
    }
}

internal static class XmlSafety
{
    /// <summary>No DTDs (so no entity expansion bombs) and no external resolution.</summary>
    public static XmlReaderSettings Settings { get; } = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreWhitespace = false,
        IgnoreComments = true,
        MaxCharactersInDocument = 0,
    };
}
