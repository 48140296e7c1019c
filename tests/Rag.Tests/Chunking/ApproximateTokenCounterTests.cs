using Rag.Core.Chunking;

namespace Rag.Tests.Chunking;

public class ApproximateTokenCounterTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("   \n ", 0)]
    [InlineData("Hello, world!", 4)]
    [InlineData("internationalization", 5)]
    [InlineData("1234567", 3)]
    [InlineData("a-b", 3)]
    public void CountsWordsPunctuationAndLongRuns(string text, int expected)
    {
        Assert.Equal(expected, ApproximateTokenCounter.Count(text));
    }

    [Fact]
    public void EnglishProseCostsAboutOneTokenPerFourCharacters()
    {
        var text = "The ingestion worker extracts text from uploaded documents, splits it into chunks, "
            + "computes their embeddings and writes them to the vector index so that questions can be answered.";

        var charactersPerToken = (double)text.Length / ApproximateTokenCounter.Count(text);

        Assert.InRange(charactersPerToken, 3.5, 6.0);
    }
}
