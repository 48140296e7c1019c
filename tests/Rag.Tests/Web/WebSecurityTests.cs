using System.Net;
using System.Text;
using Rag.Tests.Graph;

namespace Rag.Tests.Web;

// What the web app promises every browser, checked over real HTTP against the running web process.
[Collection(GraphCollection.Name)]
public sealed class WebSecurityTests(SharedGraphFixture fixture)
{
    [Fact]
    public async Task PagesForbidInlineScriptsFramingAndSniffing()
    {
        using var http = new HttpClient { BaseAddress = fixture.Graph.Web.Url, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync("/documents");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());

        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AppApiRefusesPostsWithoutTheAntiforgeryToken()
    {
        using var http = new HttpClient { BaseAddress = fixture.Graph.Web.Url, Timeout = TimeSpan.FromSeconds(30) };
        using var upload = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("forged")), "files", "forged.txt" } };

        using var response = await http.PostAsync("/app-api/documents", upload);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("This page has expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var documents = await fixture.Api.Http.GetStringAsync("/api/v1/documents?page_size=100");
        Assert.DoesNotContain("forged.txt", documents, StringComparison.Ordinal);
    }
}
