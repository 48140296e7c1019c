using System.Text;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Rag.Core.Extraction.Markdown;

/// <summary>Markdown via Markdig: headings build the heading path; lists, code and tables keep their kind.</summary>
internal sealed class MarkdownExtractor : IDocumentExtractor
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseYamlFrontMatter()
        .Build();

    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionOptions options, CancellationToken cancellationToken)
    {
        var text = TextDecoding.Decode(content.Span);
        var document = Markdig.Markdown.Parse(text, Pipeline);
        var blocks = new BlockCollector(options);
        string? title = null;
        foreach (var block in document)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (block is HeadingBlock { Level: 1 } h1 && title is null)
            {
                title = InlineText(h1.Inline);
            }

            AddBlock(block, blocks, inListItem: false);
        }

        return blocks.ToDocument(title);
    }

    private static void AddBlock(Block block, BlockCollector blocks, bool inListItem)
    {
        switch (block)
        {
            case YamlFrontMatterBlock or ThematicBreakBlock or LinkReferenceDefinitionGroup or HtmlBlock:
                break;
            case HeadingBlock heading:
                blocks.AddHeading(heading.Level, InlineText(heading.Inline));
                break;
            case ParagraphBlock paragraph:
                blocks.Add(inListItem ? BlockKind.ListItem : BlockKind.Paragraph, InlineText(paragraph.Inline));
                break;
            case CodeBlock code:
                blocks.AddLines(BlockKind.Code, code.Lines.ToString());
                break;
            case Table table:
                blocks.AddLines(BlockKind.Table, TableText(table));
                break;
            case ListItemBlock item:
                foreach (var child in item)
                {
                    AddBlock(child, blocks, inListItem: true);
                }

                break;
            case ContainerBlock container:
                foreach (var child in container)
                {
                    AddBlock(child, blocks, inListItem);
                }

                break;
        }
    }

    private static string TableText(Table table)
    {
        var rows = new StringBuilder();
        foreach (var row in table.OfType<TableRow>())
        {
            var cells = row.OfType<TableCell>()
                .Select(cell => string.Join(' ', cell.OfType<LeafBlock>().Select(leaf => InlineText(leaf.Inline))))
                .Select(BlockCollector.Normalize);
            rows.Append(string.Join(" | ", cells)).Append('\n');
        }

        return rows.ToString();
    }

    private static string InlineText(ContainerInline? inline)
    {
        var text = new StringBuilder();
        AppendInline(inline, text);
        return text.ToString();
    }

    private static void AppendInline(Inline? inline, StringBuilder text)
    {
        switch (inline)
        {
            case null:
                return;
            case LiteralInline literal:
                text.Append(literal.Content.AsSpan());
                break;
            case CodeInline code:
                text.Append(code.Content);
                break;
            case HtmlEntityInline entity:
                text.Append(entity.Transcoded.AsSpan());
                break;
            case AutolinkInline autolink:
                text.Append(autolink.Url);
                break;
            case LineBreakInline:
                text.Append(' ');
                break;
            case ContainerInline container:
                foreach (var child in container)
                {
                    AppendInline(child, text);
                }

                break;
        }
    }
}
