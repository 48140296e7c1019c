using Microsoft.Playwright;

namespace Rag.Tests.Web;

/// <summary>
/// Debian's Chromium driven by Playwright's bundled driver (never `playwright install`: the browser comes from apt).
/// Screenshots go to TestResults/screenshots under the test output folder, for people to look at.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"The browser tests need Chromium at {ChromiumPath}: apt-get install chromium");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 30_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return new Browser(playwright, browser);
    }

    /// <summary>A fresh user (own cookies) on the web app; every wait on the page times out after 20 seconds unless told otherwise.</summary>
    public async Task<IPage> NewPageAsync(Uri webUrl, int width = 1280, int height = 860)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = webUrl.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(20_000);
        return await context.NewPageAsync();
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        Directory.CreateDirectory(ScreenshotDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, $"{name}.png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

/// <summary>Signing in through the web app's own form, as a person does.</summary>
public static class WebSignIn
{
    public const string AdminUser = "admin";

    public static async Task AsAdminAsync(IPage page, Rag.LocalHost.LocalGraph graph)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(graph);
        await page.GotoAsync("/signin");
        await page.GetByLabel("User name").FillAsync(AdminUser);
        await page.GetByLabel("Password").FillAsync(graph.Secrets.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/chat");
    }

    /// <summary>
    /// Signs in where the API has authentication; where it has none (before /api/v1/auth/token existed) the sign-in page
    /// says so and the pages work anonymously, which the page-level tests also accept.
    /// </summary>
    public static async Task AsAdminWhereRequiredAsync(IPage page, Rag.LocalHost.LocalGraph graph)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(graph);
        await page.GotoAsync("/signin");
        await page.GetByLabel("User name").FillAsync(AdminUser);
        await page.GetByLabel("Password").FillAsync(graph.Secrets.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var signedIn = page.Locator(".user-name");
        var noSignIn = page.GetByText("This server does not use sign-in");
        await signedIn.Or(noSignIn).WaitForAsync();
    }
}
