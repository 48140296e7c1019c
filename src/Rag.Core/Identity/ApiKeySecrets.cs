using System.Security.Cryptography;
using System.Text;

namespace Rag.Core.Identity;

/// <summary>
/// API keys look like "rag_" + 40 random letters and digits: recognisable in logs and secret scanners. Only the
/// SHA-256 of a key is stored (a key is random, so a slow hash adds nothing), plus a short prefix to tell keys apart.
/// </summary>
public static class ApiKeySecrets
{
    public const string Marker = "rag_";
    private const int RandomLength = 40;
    private const int PrefixLength = 12;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static string Generate() => Marker + RandomNumberGenerator.GetString(Alphabet, RandomLength);

    public static bool LooksLikeKey(string value) => value.StartsWith(Marker, StringComparison.Ordinal);

    public static byte[] HashKey(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public static string PrefixOf(string key) => key.Length > PrefixLength ? key[..PrefixLength] : key;
}
