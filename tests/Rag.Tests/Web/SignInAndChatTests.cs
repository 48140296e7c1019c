using System.Text;
using Microsoft.Playwright;
using Rag.Tests.Graph;
using static Microsoft.Playwright.Assertions;

namespace Rag.Tests.Web;

// Signing in (POST /api/v1/auth/token, branch wip/security) and streaming chat (POST /api/v1/chat, branch wip/answers)
// in a real browser against the whole local graph.
[Collection(GraphCollection.Name)]
public sealed class SignInAndChatTests(SharedGraphFixture fixture) : IAsyncLifetime
{
    private Browser _browser = null!;

    private Uri WebUrl => fixture.Graph.Web.Url;

    public async Task InitializeAsync() => _browser = await Browser.LaunchAsync();

    public async Task DisposeAsync() => await _browser.DisposeAsync();

    [Fact]
    public async Task AWrongPasswordSaysSoAndKeepsTheUserName()
    {
        var page = await _browser.NewPageAsync(WebUrl);
        await page.GotoAsync("/signin");
        await page.GetByLabel("User name").FillAsync(WebSignIn.AdminUser);
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The user name or password is not right. Please try again.");
        await Expect(page.GetByLabel("User name")).ToHaveValueAsync(WebSignIn.AdminUser);
        await Expect(page.GetByLabel("Password")).ToHaveValueAsync(string.Empty);
        await Browser.ScreenshotAsync(page, "signin-wrong-password");
    }

    [Fact]
    public async Task ASignedInUserAsksAboutAnUploadAndOpensTheCitedPassage()
    {
        var page = await _browser.NewPageAsync(WebUrl);
        await WebSignIn.AsAdminAsync(page, fixture.Graph);
        await Expect(page.Locator(".user-name")).ToHaveTextAsync(WebSignIn.AdminUser);

        await page.GotoAsync("/documents");
        await page.GetByLabel("Collection").First.FillAsync("web-chat");
        await page.Locator("#upload-files").SetInputFilesAsync(new FilePayload
        {
            Name = "orchard.md",
            MimeType = "text/markdown",
            Buffer = Encoding.UTF8.GetBytes("# Orchard\n\n## Harvest\n\nThe quince orchard is harvested in late October by the Varga family.\n"),
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Expect(page.Locator("#upload-list li .upload-status")).ToHaveTextAsync("Searchable", new() { Timeout = 90_000 });

        await page.GotoAsync("/chat?collection=web-chat");
        await RecordPartialAnswersAsync(page);
        await AskAsync(page, "When is the quince orchard harvested?");
        var answer = page.Locator(".message.assistant").Last;
        await Expect(answer).ToContainTextAsync("October", new() { Timeout = 60_000 });
        await Expect(page.Locator("#chat-status")).ToHaveTextAsync("Answer complete.", new() { Timeout = 60_000 });

        // Streamed: the page showed more than one partial answer while it was still being written.
        Assert.True(await page.EvaluateAsync<int>("window.partialAnswers.size") >= 2, "The answer did not stream in.");
        await Browser.ScreenshotAsync(page, "chat-answer");

        await answer.Locator("button.citation").First.ClickAsync();
        var source = page.Locator("#source-panel");
        await Expect(source).ToBeVisibleAsync();
        await Expect(source).ToContainTextAsync("quince orchard");
        await Expect(source).ToContainTextAsync("orchard");
        await Expect(page.Locator("#source-heading")).ToBeFocusedAsync();
        await Browser.ScreenshotAsync(page, "chat-citation");
        Assert.Matches("/chat/[0-9a-f-]{36}$", page.Url);

        await page.GetByRole(AriaRole.Link, new() { Name = "New conversation" }).ClickAsync();
        await Expect(page.Locator(".message")).ToHaveCountAsync(0);
        await AskAsync(page, "Who harvests the quince orchard?");
        await Expect(page.Locator("#chat-status")).ToHaveTextAsync("Answer complete.", new() { Timeout = 60_000 });
        await page.ReloadAsync();

        // Both conversations are listed (other tests sharing this graph may have started conversations of their own).
        await Expect(page.Locator("#conversation-list li").Filter(new() { HasText = "quince orchard" })).ToHaveCountAsync(2);
        await Browser.ScreenshotAsync(page, "chat-second-conversation");

        // A phone-sized screen shows the same conversation in one column.
        await page.SetViewportSizeAsync(390, 844);
        await Browser.ScreenshotAsync(page, "chat-phone");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("You are signed out.");
    }

    private static async Task AskAsync(IPage page, string question)
    {
        await page.GetByLabel("Your question").FillAsync(question);
        await page.GetByLabel("Your question").PressAsync("Enter");
    }

    // Records each text the newest answer shows while the page says it is still answering (aria-busy).
    private static Task RecordPartialAnswersAsync(IPage page) => page.EvaluateAsync("""
        () => {
          window.partialAnswers = new Set();
          const messages = document.getElementById('messages');
          new MutationObserver(() => {
            const answer = [...messages.querySelectorAll('.message.assistant')].pop();
            if (messages.getAttribute('aria-busy') === 'true' && answer && answer.textContent !== '…') {
              window.partialAnswers.add(answer.textContent);
            }
          }).observe(messages, { childList: true, subtree: true, characterData: true });
        }
        """);
}
