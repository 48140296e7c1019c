using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Rag.Core.Redis;
using Rag.LocalHost.Processes;

namespace Rag.Tests.Redis;

public sealed class RedisTlsTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("rag-redis-tls-").FullName;
    private X509Certificate2? _certificate;
    private RedisServer? _server;

    public async Task InitializeAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));

        var certificateFile = Path.Combine(_folder, "redis.crt");
        var keyFile = Path.Combine(_folder, "redis.key");
        await File.WriteAllTextAsync(certificateFile, _certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        _server = await RedisServer.StartAsync(new RedisServerOptions { Tls = new RedisServerTls(certificateFile, keyFile) });
    }

    [Fact]
    public async Task TalksTlsWhenTheValidationCallbackTrustsTheCertificate()
    {
        var presented = new List<string>();
        var options = new RedisClientOptions
        {
            CertificateValidation = (_, certificate, _, _) =>
            {
                presented.Add(certificate!.GetCertHashString());
                return certificate.GetCertHashString() == _certificate!.GetCertHashString();
            },
        };
        await using var client = RedisClientFactory.Create(_server!.ConnectionString, options);

        await client.SetAsync("over-tls", "yes");

        Assert.Equal("yes", await client.GetStringAsync("over-tls"));
        Assert.Equal([_certificate!.GetCertHashString()], presented);
    }

    [Fact]
    public async Task RejectsAnUntrustedCertificateByDefault()
    {
        await using var client = RedisClientFactory.Create(_server!.ConnectionString);

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync());

        Assert.IsType<AuthenticationException>(error.InnerException);
    }

    [Fact]
    public async Task APlainClientCannotTalkToTheTlsPort()
    {
        var options = new RedisClientOptions { ConnectTimeout = TimeSpan.FromSeconds(1), CommandTimeout = TimeSpan.FromSeconds(1) };
        await using var client = RedisClientFactory.Create($"{_server!.Host}:{_server.Port}", options);

        await Assert.ThrowsAnyAsync<RedisException>(() => client.PingAsync());
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _certificate?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
