namespace Rag.Core.Extraction.Pdf;

/// <summary>
/// PDF text extraction written for this project (no PDF library could be had): walks the page tree,
/// interprets each page's text operators and rebuilds lines and paragraphs from glyph positions.
/// Text in clearly larger type than the body becomes a heading.
/// </summary>
internal sealed class PdfExtractor : IDocumentExtractor
{
    private const int MaxPageTreeDepth = 64;

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionOptions options, CancellationToken cancellationToken)
    {
        PdfFile file;
        try
        {
            file = PdfFile.Open(content, new DecodeBudget(options.MaxDecompressedBytes), cancellationToken);
        }
        catch (PdfFormatException ex)
        {
            throw new ExtractionException($"The PDF cannot be read: {ex.Message}.");
        }

        var pages = Pages(file, options);
        var interpreter = new ContentInterpreter(file, cancellationToken);
        var pageParagraphs = new List<List<(string Text, double FontSize)>>(pages.Count);
        for (var i = 0; i < pages.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var (page, resources) = pages[i];
                var glyphs = interpreter.ReadPage(PageContent(file, page), resources);
                pageParagraphs.Add(PageLayout.Paragraphs(PageLayout.Lines(glyphs)));
            }
            catch (PdfFormatException ex)
            {
                throw new ExtractionException($"Page {i + 1} of the PDF cannot be read: {ex.Message}.");
            }
        }

        var bodySize = BodyFontSize(pageParagraphs);

        // Heading levels rank the distinct heading sizes in the document: the largest is level 1.
        var headingSizes = pageParagraphs.SelectMany(p => p)
            .Where(p => IsHeading(p.Text, p.FontSize, bodySize))
            .Select(p => Math.Round(p.FontSize * 2) / 2)
            .Distinct()
            .OrderDescending()
            .ToList();
        var blocks = new BlockCollector(options);
        for (var i = 0; i < pageParagraphs.Count; i++)
        {
            blocks.Page = i + 1;
            foreach (var (text, size) in pageParagraphs[i])
            {
                if (IsHeading(text, size, bodySize))
                {
                    blocks.AddHeading(Math.Min(headingSizes.IndexOf(Math.Round(size * 2) / 2) + 1, 6), text);
                }
                else
                {
                    blocks.Add(BlockKind.Paragraph, text);
                }
            }
        }

        return blocks.ToDocument(file.Title());
    }

    /// <summary>Short text set clearly larger than the body is a heading; dot leaders mark table-of-contents entries instead.</summary>
    private static bool IsHeading(string text, double size, double bodySize) =>
        text.Length <= 120 && text.Any(char.IsLetter) && size >= bodySize * 1.15 && !text.Contains("....", StringComparison.Ordinal);

    /// <summary>The font size carrying the most characters.</summary>
    private static double BodyFontSize(List<List<(string Text, double FontSize)>> pages) =>
        pages.SelectMany(p => p)
            .GroupBy(p => Math.Round(p.FontSize, 1))
            .OrderByDescending(g => g.Sum(p => p.Text.Length))
            .Select(g => g.Key)
            .FirstOrDefault(10);

    /// <summary>Collects the leaf pages in order, carrying inherited /Resources down the tree.</summary>
    private static List<(PdfDictionary Page, PdfDictionary? Resources)> Pages(PdfFile file, ExtractionOptions options)
    {
        var catalog = file.ResolveDictionary(file.Trailer.GetRaw("Root"))
            ?? throw new ExtractionException("The PDF cannot be read: its document catalog is missing.");
        var root = file.ResolveDictionary(catalog.GetRaw("Pages"))
            ?? throw new ExtractionException("The PDF cannot be read: its page tree is missing.");
        var pages = new List<(PdfDictionary, PdfDictionary?)>();
        var visited = new HashSet<PdfDictionary>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(PdfDictionary Node, PdfDictionary? Resources, int Depth)>();
        pending.Push((root, null, 0));
        while (pending.Count > 0)
        {
            var (node, inherited, depth) = pending.Pop();
            if (!visited.Add(node) || depth > MaxPageTreeDepth)
            {
                continue;
            }

            var resources = file.ResolveDictionary(node.GetRaw("Resources")) ?? inherited;
            if (file.Resolve(node.GetRaw("Kids")) is PdfArray kids)
            {
                for (var i = kids.Count - 1; i >= 0; i--)
                {
                    if (file.ResolveDictionary(kids[i]) is { } kid)
                    {
                        pending.Push((kid, resources, depth + 1));
                    }
                }
            }
            else
            {
                pages.Add((node, resources));
                if (pages.Count > options.MaxPages)
                {
                    throw new ExtractionException($"The PDF has more than the limit of {options.MaxPages:N0} pages.");
                }
            }
        }

        return pages;
    }

    private static byte[] PageContent(PdfFile file, PdfDictionary page)
    {
        var parts = file.Resolve(page.GetRaw("Contents")) switch
        {
            PdfStream single => [single],
            PdfArray array => array.Select(file.Resolve).OfType<PdfStream>().ToList(),
            _ => new List<PdfStream>(),
        };

        // Parts split a stream at arbitrary token boundaries; a newline between them keeps tokens apart.
        using var content = new MemoryStream();
        foreach (var part in parts)
        {
            content.Write(file.DecodeStream(part));
            content.WriteByte((byte)'\n');
        }

        return content.ToArray();
    }
}
