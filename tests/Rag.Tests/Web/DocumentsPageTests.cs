using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Rag.Tests.Graph;
using static Microsoft.Playwright.Assertions;

namespace Rag.Tests.Web;

// The documents page in a real browser against the whole local graph: upload, live job status, library, errors.
[Collection(GraphCollection.Name)]
public sealed class DocumentsPageTests(SharedGraphFixture fixture) : IAsyncLifetime
{
    private const string HostileName = "<img src=x onerror=alert(1)>.txt";

    private static readonly LocatorAssertionsToHaveTextOptions IndexingPatience = new() { Timeout = 90_000 };

    private Browser _browser = null!;

    private Uri WebUrl => fixture.Graph.Web.Url;

    public async Task InitializeAsync() => _browser = await Browser.LaunchAsync();

    public async Task DisposeAsync() => await _browser.DisposeAsync();

    [Fact]
    public async Task UploadedFilesShowProgressAndBecomeSearchable()
    {
        var page = await _browser.NewPageAsync(WebUrl);
        await WebSignIn.AsAdminWhereRequiredAsync(page, fixture.Graph);
        await page.GotoAsync("/documents");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Documents", Exact = true })).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "documents-empty");

        await page.GetByLabel("Collection").First.FillAsync("web-upload");
        await page.GetByLabel("Tags").FillAsync("handbook, ops");
        await page.Locator("#upload-files").SetInputFilesAsync(
        [
            new FilePayload { Name = "tides.md", MimeType = "text/markdown", Buffer = Utf8("# Tides\n\nThe albatross harbour floods twice a day at spring tide.\n") },
            new FilePayload { Name = "lamps.txt", MimeType = "text/plain", Buffer = Utf8("Lighthouse lamps are cleaned every Thursday by the keeper.") },
            new FilePayload { Name = HostileName, MimeType = "text/plain", Buffer = Utf8("A note whose file name is markup.") },
        ]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();

        var uploads = page.Locator("#upload-list li");
        await Expect(uploads).ToHaveCountAsync(3);
        await Expect(uploads.Filter(new() { HasText = "tides.md" }).Locator(".upload-status")).ToHaveTextAsync("Searchable", IndexingPatience);
        await Expect(uploads.Filter(new() { HasText = "lamps.txt" }).Locator(".upload-status")).ToHaveTextAsync("Searchable", IndexingPatience);
        await Browser.ScreenshotAsync(page, "documents-uploaded");

        // The library lists them as searchable, filtered by collection and tag, and the search page finds the text.
        await page.GotoAsync("/documents?collection=web-upload&tag=ops");
        var rows = page.Locator("table.documents tbody tr");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.Filter(new() { HasText = "tides" }).Locator(".status")).ToHaveTextAsync("Searchable", IndexingPatience);

        // A file name is data: shown as its characters, never run as markup.
        await Expect(rows.Filter(new() { HasText = HostileName })).ToHaveCountAsync(1);
        await Expect(page.Locator("main img")).ToHaveCountAsync(0);
        await Browser.ScreenshotAsync(page, "documents-library");

        await page.GotoAsync("/search?q=albatross+harbour&collection=web-upload");
        await Expect(page.Locator(".search-results li").First).ToContainTextAsync("albatross harbour");
        await Browser.ScreenshotAsync(page, "search");
    }

    [Fact]
    public async Task RefusedUploadsSayWhyInWordsAndThePageKeepsWorking()
    {
        var page = await _browser.NewPageAsync(WebUrl);
        await WebSignIn.AsAdminWhereRequiredAsync(page, fixture.Graph);
        await page.GotoAsync("/documents");
        await page.GetByLabel("Collection").First.FillAsync("web-refused");
        await page.Locator("#upload-files").SetInputFilesAsync(
        [
            new FilePayload { Name = "empty.txt", MimeType = "text/plain", Buffer = [] },
            new FilePayload { Name = "binary.txt", MimeType = "text/plain", Buffer = [0x00, 0x01, 0x02, 0xFF, 0xFE, 0x00, 0x10, 0x9C, 0x00, 0x00, 0x7F, 0x80] },
        ]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();

        var uploads = page.Locator("#upload-list li");
        await Expect(uploads.Filter(new() { HasText = "empty.txt" }).Locator(".upload-status")).ToHaveTextAsync(new Regex("^Empty file\\. 'empty\\.txt' is empty"));
        await Expect(uploads.Filter(new() { HasText = "binary.txt" }).Locator(".upload-status")).ToHaveTextAsync(new Regex("^Unsupported file type\\. 'binary\\.txt'"));
        await Browser.ScreenshotAsync(page, "documents-refused");

        // The same page still takes a good file.
        await page.Locator("#upload-files").SetInputFilesAsync(new FilePayload { Name = "fine.txt", MimeType = "text/plain", Buffer = Utf8("A perfectly ordinary note about kelp forests.") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Expect(uploads.Filter(new() { HasText = "fine.txt" }).Locator(".upload-status")).ToHaveTextAsync("Searchable", IndexingPatience);
    }

    [Fact]
    public async Task AnApiOutageShowsAClearMessageAndThePagesRecover()
    {
        var page = await _browser.NewPageAsync(WebUrl);
        await WebSignIn.AsAdminWhereRequiredAsync(page, fixture.Graph);
        await fixture.Graph.Api.StopAsync(TimeSpan.FromSeconds(10));
        try
        {
            await page.GotoAsync("/documents");
            await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The service is unavailable right now");

            await page.Locator("#upload-files").SetInputFilesAsync(new FilePayload { Name = "while-down.txt", MimeType = "text/plain", Buffer = Utf8("Written while the API was down.") });
            await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
            await Expect(page.Locator("#upload-list li .upload-status")).ToHaveTextAsync(new Regex("unavailable", RegexOptions.IgnoreCase));
            await Browser.ScreenshotAsync(page, "documents-api-down");
        }
        finally
        {
            await fixture.Graph.Api.StartAsync();
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "Try again" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Library" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
