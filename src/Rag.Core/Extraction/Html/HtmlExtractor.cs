using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Rag.Core.Extraction.Html;

/// <summary>
/// HTML via AngleSharp: keeps the page's main content and drops navigation, chrome and scripts, so that
/// what gets indexed is what a reader came for.
/// </summary>
internal sealed class HtmlExtractor : IDocumentExtractor
{
    // Nesting deeper than this is hostile or broken; its text is still kept, flattened.
    private const int MaxElementDepth = 200;

    private static readonly HashSet<string> SkippedElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "nav", "aside", "noscript", "template", "form", "button", "select", "textarea",
        "iframe", "svg", "canvas", "head", "object", "embed", "dialog",
    };

    private static readonly HashSet<string> BlockElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "section", "article", "main", "blockquote", "dl", "dt", "dd", "figure", "figcaption",
        "address", "center", "header", "footer", "hr", "caption", "details", "summary", "body",
    };

    // Class or id words that mark site chrome in generated documentation (DocBook's navheader/navfooter, etc.).
    private static readonly string[] ChromeMarkers = ["navheader", "navfooter", "navbar", "breadcrumb", "skip-link", "skiplink", "cookie"];

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionOptions options, CancellationToken cancellationToken)
    {
        var html = TextDecoding.TryDecode(content.Span) ?? Encoding.Latin1.GetString(content.Span);
        var parser = new HtmlParser(new HtmlParserOptions { IsScripting = false });
        using var document = parser.ParseDocument(html);
        var root = document.QuerySelector("main") ?? document.QuerySelector("article") ?? document.QuerySelector("[role=main]") ?? document.Body;
        var walker = new Walker(new BlockCollector(options), cancellationToken);
        if (root is not null)
        {
            walker.Walk(root, depth: 0, insideContent: root != document.Body);
            walker.Flush();
        }

        var title = document.Title;
        return walker.Blocks.ToDocument(string.IsNullOrWhiteSpace(title) ? document.QuerySelector("h1")?.TextContent : title);
    }

    private sealed class Walker(BlockCollector blocks, CancellationToken cancellationToken)
    {
        private readonly StringBuilder _pending = new();
        private BlockKind _pendingKind = BlockKind.Paragraph;

        public BlockCollector Blocks => blocks;

        public void Walk(INode node, int depth, bool insideContent)
        {
            foreach (var child in node.ChildNodes)
            {
                if (child is IText text)
                {
                    _pending.Append(text.Data);
                }
                else if (child is IElement element)
                {
                    VisitElement(element, depth + 1, insideContent);
                }
            }
        }

        public void Flush()
        {
            if (_pending.Length > 0)
            {
                blocks.Add(_pendingKind, _pending.ToString());
                _pending.Clear();
            }

            _pendingKind = BlockKind.Paragraph;
        }

        private void VisitElement(IElement element, int depth, bool insideContent)
        {
            var name = element.LocalName;
            if (SkippedElements.Contains(name) || IsChrome(element, name, insideContent))
            {
                return;
            }

            if (depth > MaxElementDepth)
            {
                _pending.Append(' ').Append(element.TextContent);
                return;
            }

            switch (name)
            {
                case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                    cancellationToken.ThrowIfCancellationRequested();
                    Flush();
                    blocks.AddHeading(name[1] - '0', element.TextContent);
                    return;
                case "pre":
                    Flush();
                    blocks.AddLines(BlockKind.Code, element.TextContent);
                    return;
                case "table":
                    Flush();
                    blocks.AddLines(BlockKind.Table, TableText(element));
                    return;
                case "br":
                    _pending.Append('\n');
                    return;
                case "li":
                    Flush();
                    _pendingKind = BlockKind.ListItem;
                    Walk(element, depth, insideContent);
                    Flush();
                    return;
                case "ul" or "ol":
                    Flush();
                    Walk(element, depth, insideContent);
                    Flush();
                    return;
            }

            if (BlockElements.Contains(name))
            {
                Flush();
                Walk(element, depth, insideContent || name is "article" or "main" or "section");
                Flush();
            }
            else
            {
                // Inline elements (a, span, code, em...) add their text to the paragraph around them.
                Walk(element, depth, insideContent);
            }
        }

        private static bool IsChrome(IElement element, string name, bool insideContent)
        {
            if ((name is "header" or "footer") && !insideContent)
            {
                return true;
            }

            if (element.HasAttribute("hidden") || element.GetAttribute("role") is "navigation" or "banner" or "contentinfo" or "search")
            {
                return true;
            }

            var classAndId = element.ClassName + " " + element.Id;
            foreach (var marker in ChromeMarkers)
            {
                if (classAndId.Contains(marker, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private static string TableText(IElement table)
        {
            var text = new StringBuilder();
            foreach (var row in table.QuerySelectorAll("tr"))
            {
                var cells = row.Children.Where(c => c.LocalName is "td" or "th").Select(c => BlockCollector.Normalize(c.TextContent)).ToList();
                if (cells.Any(c => c.Length > 0))
                {
                    text.Append(string.Join(" | ", cells)).Append('\n');
                }
            }

            var caption = table.QuerySelector("caption")?.TextContent;
            return caption is null ? text.ToString() : BlockCollector.Normalize(caption) + "\n" + text;
        }
    }
}
