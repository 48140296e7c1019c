using System.Text;
using Rag.Core.Extraction;

namespace Rag.Tests.Extraction;

public sealed class TextDecodingTests
{
    public static TheoryData<string, byte[]> Samples() => new()
    {
        { "plain ASCII with tabs and line ends", Encoding.UTF8.GetBytes("a\tb\r\nc\fd\n") },
        { "Latin text whose UTF-8 starts with 0xC2 but holds no control", Encoding.UTF8.GetBytes("Price: 20 ° C, © 2024, non\u00A0breaking") },
        { "one escape in a long line", Encoding.UTF8.GetBytes("\u001b[0m" + new string('x', 500)) },
        { "escapes in more than 1 of 100 characters", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("\u001bxx", 40))) },
        { "one C1 control in a long line", Encoding.UTF8.GetBytes("\u0085" + new string('y', 500)) },
        { "C1 controls in more than 1 of 100 characters", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("\u0090zz", 40))) },
        { "a NUL", Encoding.UTF8.GetBytes("text\0more") },
        { "DEL characters", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("\u007fab", 10))) },
        { "invalid UTF-8", [0x61, 0xC3, 0x28, 0x62] },
        { "UTF-8 with a byte order mark", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("héllo")] },
        { "UTF-16 LE with a byte order mark", [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("hello")] },
        { "UTF-16 BE holding a NUL", [0xFE, 0xFF, .. Encoding.BigEndianUnicode.GetBytes("he\0llo")] },
        { "astral characters", Encoding.UTF8.GetBytes("emoji 😀 and 𝄞") },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void IsTextAgreesWithDecoding(string description, byte[] content)
    {
        Assert.True(TextDecoding.IsText(content) == (TextDecoding.TryDecode(content) is not null), description);
    }

    [Fact]
    public void TheSamplesCoverBothAnswers()
    {
        var answers = Samples().Select(row => TextDecoding.IsText((byte[])row[1])).ToHashSet();
        Assert.Equal([false, true], answers.Order());
    }
}
