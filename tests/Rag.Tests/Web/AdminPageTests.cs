using Microsoft.Playwright;
using Rag.Tests.Graph;
using static Microsoft.Playwright.Assertions;

namespace Rag.Tests.Web;

// The admin page: only for admins (roles come with the token from wip/security; stats from wip/ops).
[Collection(GraphCollection.Name)]
public sealed class AdminPageTests(SharedGraphFixture fixture) : IAsyncLifetime
{
    private Browser _browser = null!;

    private Uri WebUrl => fixture.Graph.Web.Url;

    public async Task InitializeAsync() => _browser = await Browser.LaunchAsync();

    public async Task DisposeAsync() => await _browser.DisposeAsync();

    [Fact]
    public async Task TheAdminPageIsHiddenFromPeopleWhoAreNotAdmins()
    {
        var page = await _browser.NewPageAsync(WebUrl);
        await page.GotoAsync("/documents");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Admin" })).ToHaveCountAsync(0);

        var response = await page.GotoAsync("/admin");
        Assert.Equal(403, response!.Status);
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Only administrators can see this page.");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Users" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task AnAdminSeesSystemStatusAndANewApiKeyOnlyOnce()
    {
        var page = await _browser.NewPageAsync(WebUrl);
        await WebSignIn.AsAdminAsync(page, fixture.Graph);
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Admin" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "System status" })).ToBeVisibleAsync();
        await Expect(page.Locator(".stat").First).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);

        await page.GetByLabel("Key name").FillAsync("web-test-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var key = await page.Locator("#new-api-key").TextContentAsync();
        Assert.False(string.IsNullOrWhiteSpace(key));
        await Expect(page.Locator("table")).Not.ToContainTextAsync(key!);
        await Browser.ScreenshotAsync(page, "admin");

        // Opening the page again shows the key nowhere: it was in that one response only.
        await page.GotoAsync(new Uri(new Uri(page.Url), "/admin").ToString());
        await Expect(page.Locator("#new-api-key")).ToHaveCountAsync(0);
        await Expect(page.Locator("main")).Not.ToContainTextAsync(key!);
    }
}
