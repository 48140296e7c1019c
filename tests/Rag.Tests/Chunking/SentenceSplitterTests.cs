using Rag.Core.Chunking;

namespace Rag.Tests.Chunking;

public class SentenceSplitterTests
{
    [Theory]
    [InlineData("One. Two! Three? Four", new[] { "One.", "Two!", "Three?", "Four" })]
    [InlineData("Use a cache, e.g. Redis. It is fast.", new[] { "Use a cache, e.g. Redis.", "It is fast." })]
    [InlineData("Pi is 3.14 roughly. Tau is 6.28.", new[] { "Pi is 3.14 roughly.", "Tau is 6.28." })]
    [InlineData("Ask Dr. Smith and J. R. Tolkien. Then stop.", new[] { "Ask Dr. Smith and J. R. Tolkien.", "Then stop." })]
    [InlineData("He said \"Go.\" Then he left.", new[] { "He said \"Go.\"", "Then he left." })]
    [InlineData("version 2. not a sentence start", new[] { "version 2. not a sentence start" })]
    [InlineData("  Padded sentence.   Another one.  ", new[] { "Padded sentence.", "Another one." })]
    [InlineData("Wait... What?! Yes.", new[] { "Wait...", "What?!", "Yes." })]
    public void SplitsAtSentenceEndsOnly(string text, string[] expected)
    {
        var sentences = SentenceSplitter.Split(text).Select(range => text[range]);

        Assert.Equal(expected, sentences);
    }

    [Fact]
    public void WhitespaceHasNoSentences()
    {
        Assert.Empty(SentenceSplitter.Split(" \n\t "));
    }
}
