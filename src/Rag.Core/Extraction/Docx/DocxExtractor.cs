using System.Text;
using System.Xml;

namespace Rag.Core.Extraction.Docx;

/// <summary>
/// Word (.docx) documents, read with our own ZIP central-directory reader and XmlReader rather than a
/// document object model: the archive is vetted for bombs before anything is inflated, and inflating
/// stops at a byte cap, which a full-package library would not let us enforce.
/// </summary>
internal sealed class DocxExtractor : IDocumentExtractor
{
    private const string WordNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    // Small parts compress well by nature; the ratio test only matters where the output could hurt.
    private const long RatioCheckThreshold = 1024 * 1024;

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionOptions options, CancellationToken cancellationToken)
    {
        if (!ZipCentralDirectory.TryRead(content.Span, options.MaxZipEntries, out var entries, out var error))
        {
            throw new ExtractionException($"The Word document cannot be read: {error}.");
        }

        var budget = new DecompressionBudget(options.MaxDecompressedBytes);
        var documentEntry = entries.FirstOrDefault(e => e.Name == "word/document.xml")
            ?? throw new ExtractionException("The archive is not a Word document (it has no word/document.xml).");
        var stylesEntry = entries.FirstOrDefault(e => e.Name == "word/styles.xml");
        foreach (var entry in new[] { documentEntry, stylesEntry })
        {
            if (entry is not null)
            {
                Vet(entry, options);
            }
        }

        var styles = stylesEntry is null
            ? new WordStyles()
            : WordStyles.Read(budget.Read(content, stylesEntry, cancellationToken), cancellationToken);
        var documentXml = budget.Read(content, documentEntry, cancellationToken);
        return ReadBody(documentXml, styles, options, cancellationToken);
    }

    private static void Vet(ZipEntry entry, ExtractionOptions options)
    {
        if (entry.UncompressedSize > options.MaxDecompressedBytes)
        {
            throw new ExtractionException($"The Word document's part '{entry.Name}' declares {entry.UncompressedSize:N0} bytes, more than the limit of {options.MaxDecompressedBytes:N0}.");
        }

        if (entry.UncompressedSize > RatioCheckThreshold && entry.UncompressedSize > (long)options.MaxCompressionRatio * Math.Max(1, entry.CompressedSize))
        {
            throw new ExtractionException($"The Word document's part '{entry.Name}' is compressed more than {options.MaxCompressionRatio}:1, which is how zip bombs look.");
        }
    }

    private static ExtractedDocument ReadBody(byte[] documentXml, WordStyles styles, ExtractionOptions options, CancellationToken cancellationToken)
    {
        var blocks = new BlockCollector(options);
        string? title = null;
        var paragraph = new StringBuilder();
        string? styleId = null;
        var isListItem = false;
        int? outlineLevel = null;
        var tableDepth = 0;
        var tableRows = new StringBuilder();
        var rowCells = new List<string>();
        var cell = new StringBuilder();
        var inText = false;

        using var reader = XmlReader.Create(new MemoryStream(documentXml), XmlSafety.Settings);
        try
        {
            while (reader.Read())
            {
                if (inText && reader.NodeType is XmlNodeType.Text or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace or XmlNodeType.CDATA)
                {
                    paragraph.Append(reader.Value);
                    continue;
                }

                if (reader.NamespaceURI != WordNamespace)
                {
                    continue;
                }

                if (reader.NodeType == XmlNodeType.Element)
                {
                    var isEmpty = reader.IsEmptyElement;
                    switch (reader.LocalName)
                    {
                        case "p":
                            cancellationToken.ThrowIfCancellationRequested();
                            paragraph.Clear();
                            (styleId, isListItem, outlineLevel) = (null, false, null);
                            if (isEmpty)
                            {
                                EndParagraph();
                            }

                            break;
                        case "pStyle":
                            styleId = reader.GetAttribute("val", WordNamespace);
                            break;
                        case "numPr":
                            isListItem = true;
                            break;
                        case "outlineLvl" when int.TryParse(reader.GetAttribute("val", WordNamespace), out var level):
                            outlineLevel = level;
                            break;
                        case "t":
                            inText = !isEmpty;
                            break;
                        case "tab":
                            paragraph.Append(' ');
                            break;
                        case "noBreakHyphen":
                            paragraph.Append('-');
                            break;
                        case "br" or "cr":
                            paragraph.Append('\n');
                            break;
                        case "tbl":
                            tableDepth++;
                            break;
                        case "tr" when tableDepth == 1:
                            rowCells.Clear();
                            break;
                        case "tc" when tableDepth == 1:
                            cell.Clear();
                            break;
                    }
                }
                else if (reader.NodeType == XmlNodeType.EndElement)
                {
                    switch (reader.LocalName)
                    {
                        case "t":
                            inText = false;
                            break;
                        case "p":
                            EndParagraph();
                            break;
                        case "tc" when tableDepth == 1:
                            rowCells.Add(BlockCollector.Normalize(cell.ToString()));
                            break;
                        case "tr" when tableDepth == 1:
                            if (rowCells.Any(c => c.Length > 0))
                            {
                                tableRows.Append(string.Join(" | ", rowCells)).Append('\n');
                            }

                            break;
                        case "tbl":
                            if (--tableDepth == 0)
                            {
                                blocks.AddLines(BlockKind.Table, tableRows.ToString());
                                tableRows.Clear();
                            }

                            break;
                    }
                }
            }
        }
        catch (XmlException ex)
        {
            throw new ExtractionException($"The Word document's text is damaged (XML error at line {ex.LineNumber}).", ex);
        }

        return blocks.ToDocument(title);

        void EndParagraph()
        {
            var text = paragraph.ToString();
            paragraph.Clear();
            if (tableDepth > 0)
            {
                cell.Append(' ').Append(text);
                return;
            }

            var heading = styles.HeadingLevel(styleId) ?? (outlineLevel is >= 0 and < 9 ? outlineLevel + 1 : null);
            if (heading == 0)
            {
                title ??= BlockCollector.Normalize(text);
            }

            if (heading is not null)
            {
                blocks.AddHeading(heading.Value, text);
            }
            else
            {
                blocks.Add(isListItem || styles.IsList(styleId) ? BlockKind.ListItem : BlockKind.Paragraph, text);
            }
        }
    }

    /// <summary>Counts inflated bytes across all parts of one document against the shared limit.</summary>
    private sealed class DecompressionBudget(long maxBytes)
    {
        private long _used;

        public byte[] Read(ReadOnlyMemory<byte> archive, ZipEntry entry, CancellationToken cancellationToken)
        {
            var bytes = ZipCentralDirectory.ReadEntry(archive, entry, maxBytes - _used, cancellationToken);
            _used += bytes.Length;
            return bytes;
        }
    }
}
