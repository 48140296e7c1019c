using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Rag.Core.Extraction;
using Xunit.Abstractions;

namespace Rag.Tests.Extraction;

public sealed class HtmlExtractionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MainContentIsKeptAndPageChromeDropped()
    {
        const string html = """
            <!DOCTYPE html>
            <html><head><title>Caf&eacute; Guide</title><style>p { color: red }</style><script>var secret = 1;</script></head>
            <body>
              <header><a href="/">Home</a> Site banner</header>
              <nav><ul><li>Menu item</li></ul></nav>
              <main>
                <article>
                  <header><h1>Choosing beans</h1></header>
                  <p>Fresh   beans &amp; <em>good</em> water.<br>Always.</p>
                  <h2>Roasts</h2>
                  <ul><li>Light</li><li>Dark <b>and</b> oily</li></ul>
                  <table><tr><th>Roast</th><th>Taste</th></tr><tr><td>Light</td><td>fruity</td></tr></table>
                  <pre>grind --fine
              --dose 18g</pre>
                  <aside>Advertisement</aside>
                  <form><input name="q"><button>Search</button></form>
                  <noscript>Enable JS</noscript>
                </article>
              </main>
              <footer>Copyright footer</footer>
            </body></html>
            """;

        var document = await Extract(html);

        Assert.Equal("Café Guide", document.Title);
        Assert.Equal(
            [
                (BlockKind.Heading, "Choosing beans"),
                (BlockKind.Paragraph, "Fresh beans & good water. Always."),
                (BlockKind.Heading, "Roasts"),
                (BlockKind.ListItem, "Light"),
                (BlockKind.ListItem, "Dark and oily"),
                (BlockKind.Table, "Roast | Taste\nLight | fruity"),
                (BlockKind.Code, "grind --fine\n  --dose 18g"),
            ],
            document.Blocks.Select(b => (b.Kind, b.Text)));
        Assert.Equal(["Choosing beans", "Roasts"], document.Blocks[3].HeadingPath);
    }

    [Fact]
    public async Task WithoutMainTheBodyIsUsedAndPageLevelHeaderAndFooterDropped()
    {
        var document = await Extract("<html><body><header>Top bar</header><h1>Only heading</h1><div>Body text</div><footer>Bottom</footer></body></html>");

        Assert.Equal("Only heading", document.Title);
        Assert.Equal(["Only heading", "Body text"], document.Blocks.Select(b => b.Text));
    }

    [Fact]
    public async Task DeeplyNestedMarkupIsReadWithoutOverflowingTheStack()
    {
        var html = string.Concat(Enumerable.Repeat("<div><span>", 5_000)) + "deep text" + string.Concat(Enumerable.Repeat("</span></div>", 5_000));

        var document = await Extract(html);

        Assert.Contains(document.Blocks, b => b.Text.Contains("deep text", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostgresCreateTablePageYieldsHeadingsAndTextWithoutNavigation()
    {
        var bytes = InstalledFiles.Read(Path.Combine(InstalledFiles.PostgresDocsDirectory, "sql-createtable.html"), "postgresql-doc-15");

        var document = await DocumentExtraction.ExtractAsync(ContentTypes.Html, bytes, new ExtractionOptions());

        Assert.Equal("CREATE TABLE", document.Title);
        var headings = document.Blocks.Where(b => b.Kind == BlockKind.Heading).Select(b => b.Text).ToList();
        Assert.Equal(["CREATE TABLE", "Synopsis", "Description", "Parameters"], headings.Take(4));
        Assert.Contains("Examples", headings);
        Assert.Contains("Compatibility", headings);

        var text = string.Join("\n\n", document.Blocks.Select(b => b.Text));
        Assert.Contains("CREATE TABLE — define a new table", text, StringComparison.Ordinal);
        Assert.Contains("CREATE TABLE will create a new, initially empty table in the current database.", text, StringComparison.Ordinal);
        Assert.Contains(document.Blocks, b => b.Kind == BlockKind.Code && b.Text.StartsWith("CREATE [ [ GLOBAL | LOCAL ]", StringComparison.Ordinal));

        // The navigation header and footer carry "Prev", "Up", "Home", "Next" and the neighbouring pages' titles.
        Assert.DoesNotContain(document.Blocks, b => b.Text is "Prev" or "Next" or "Up" or "Home" || b.Text.StartsWith("Prev Up", StringComparison.Ordinal));
        Assert.DoesNotContain("CREATE SUBSCRIPTION", text, StringComparison.Ordinal);
        Assert.DoesNotContain("PostgreSQL 15", text, StringComparison.Ordinal);
        var description = document.Blocks.First(b => b.Text.StartsWith("CREATE TABLE will create", StringComparison.Ordinal));
        Assert.Equal("Description", description.HeadingPath[^1]);
    }

    [Fact]
    public async Task AllPostgresDocumentationPagesExtractWithoutError()
    {
        var pages = InstalledFiles.PostgresHtmlPages();
        var failures = new ConcurrentBag<string>();
        var characters = 0L;
        var stopwatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(pages, async (page, cancellationToken) =>
        {
            try
            {
                var document = await DocumentExtraction.ExtractAsync(ContentTypes.Html, await File.ReadAllBytesAsync(page, cancellationToken), new ExtractionOptions(), cancellationToken);
                Interlocked.Add(ref characters, document.Blocks.Sum(b => b.Text.Length));
                if (document.Blocks.Any(b => b.Text is "Prev" or "Next" || b.Text.StartsWith("Prev Up", StringComparison.Ordinal)))
                {
                    failures.Add($"{Path.GetFileName(page)}: navigation text was kept");
                }
            }
            catch (ExtractionException ex)
            {
                failures.Add($"{Path.GetFileName(page)}: {ex.Message}");
            }
        });

        Assert.Empty(failures);
        Assert.True(characters > 5_000_000, $"Expected millions of characters of documentation, got {characters:N0}.");

        // Reported, not asserted: timing depends on the machine.
        output.WriteLine($"Extracted {pages.Length} PostgreSQL pages ({characters:N0} characters) in {stopwatch.ElapsedMilliseconds} ms.");
    }

    private static Task<ExtractedDocument> Extract(string html) =>
        DocumentExtraction.ExtractAsync(ContentTypes.Html, Encoding.UTF8.GetBytes(html), new ExtractionOptions());
}
