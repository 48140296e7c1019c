using System.Net;
using System.Text;
using Rag.Core.Webhooks;

namespace Rag.Tests.Operations;

public sealed class WebhookSecurityTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"event":"document.completed","document_id":"7d1c3f0e-0000-4000-8000-000000000001"}""");

    [Fact]
    public void ASignatureVerifiesWithTheSecretTimestampAndBodyItWasMadeWith()
    {
        var secret = WebhookSignature.CreateSecret();
        var timestamp = Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = WebhookSignature.Sign(secret, Now.ToUnixTimeSeconds(), Body);

        Assert.Matches("^v1=[0-9a-f]{64}$", signature);
        Assert.True(WebhookSignature.Verify(secret, timestamp, signature, Body, Now, Tolerance));
        Assert.False(WebhookSignature.Verify(WebhookSignature.CreateSecret(), timestamp, signature, Body, Now, Tolerance));
        Assert.False(WebhookSignature.Verify(secret, timestamp, signature, [.. Body, (byte)' '], Now, Tolerance));

        // Moving the timestamp changes what was signed.
        var shifted = (Now.ToUnixTimeSeconds() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(WebhookSignature.Verify(secret, shifted, signature, Body, Now, Tolerance));
    }

    [Fact]
    public void ADeliveryReplayedAfterTheToleranceIsRejectedThoughItsSignatureIsGenuine()
    {
        var secret = WebhookSignature.CreateSecret();
        var sentAt = Now - TimeSpan.FromMinutes(6);
        var timestamp = sentAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = WebhookSignature.Sign(secret, sentAt.ToUnixTimeSeconds(), Body);

        Assert.True(WebhookSignature.Verify(secret, timestamp, signature, Body, sentAt, Tolerance));
        Assert.False(WebhookSignature.Verify(secret, timestamp, signature, Body, Now, Tolerance));
        Assert.False(WebhookSignature.Verify(secret, "not-a-number", signature, Body, Now, Tolerance));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("224.0.0.1")]
    public void NonPublicAddressesAreNotPublic(string address) => Assert.False(WebhookAddressPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    public void PublicAddressesArePublic(string address) => Assert.True(WebhookAddressPolicy.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://localhost:8443/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://10.0.0.5/hook")]
    public async Task RegisteringAPrivateAddressIsRefusedUnlessAllowed(string url)
    {
        var refusal = await WebhookAddressPolicy.CheckAsync(new Uri(url), new WebhookOptions());
        Assert.Contains("non-public address", refusal, StringComparison.Ordinal);

        Assert.Null(await WebhookAddressPolicy.CheckAsync(new Uri(url), new WebhookOptions { AllowPrivateAddresses = true }));
    }

    [Fact]
    public async Task PlainHttpAndCredentialsInTheUrlAreRefused()
    {
        Assert.Contains("https://", await WebhookAddressPolicy.CheckAsync(new Uri("http://93.184.216.34/hook"), new WebhookOptions()), StringComparison.Ordinal);
        Assert.Contains("credentials", await WebhookAddressPolicy.CheckAsync(new Uri("https://user:pw@93.184.216.34/hook"), new WebhookOptions()), StringComparison.Ordinal);
        Assert.Null(await WebhookAddressPolicy.CheckAsync(new Uri("https://93.184.216.34/hook"), new WebhookOptions()));
    }

    [Fact]
    public void BackoffDoublesFromTheInitialWaitUpToTheCap()
    {
        var options = new WebhookOptions { InitialBackoff = TimeSpan.FromSeconds(10), MaxBackoff = TimeSpan.FromSeconds(50) };
        Assert.Equal(
            [10, 20, 40, 50, 50],
            Enumerable.Range(1, 5).Select(attempt => options.BackoffAfter(attempt).TotalSeconds));
    }
}
