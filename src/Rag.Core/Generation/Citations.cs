using System.Text;
using System.Text.RegularExpressions;

namespace Rag.Core.Generation;

/// <summary>
/// Keeps an answer's citations honest: a [n] that names no source is removed. Works on a stream of deltas, holding
/// back only a possible citation that is still open at the end of a delta.
/// </summary>
public sealed partial class CitationFilter(int sourceCount)
{
    private readonly StringBuilder _pending = new();
    private readonly HashSet<int> _cited = [];

    /// <summary>The source numbers the answer cited so far, validly.</summary>
    public IReadOnlyCollection<int> Cited => _cited;

    /// <summary>How many citations named no source and were removed.</summary>
    public int Removed { get; private set; }

    /// <summary>The text of <paramref name="delta"/> that is safe to emit now.</summary>
    public string Append(string delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        _pending.Append(delta);
        var text = _pending.ToString();
        var open = text.LastIndexOf('[');
        // An unclosed "[12" at the end may become a citation: keep it until it closes or cannot be one.
        var holdFrom = open >= 0 && text.IndexOf(']', open) < 0 && PossibleCitationStart().IsMatch(text[open..]) ? open : text.Length;
        if (holdFrom < text.Length && holdFrom > 0 && text[holdFrom - 1] == ' ')
        {
            // The space before it goes wherever the citation goes.
            holdFrom--;
        }

        _pending.Clear().Append(text, holdFrom, text.Length - holdFrom);
        return Filter(text[..holdFrom]);
    }

    /// <summary>Whatever is still held back, once the answer is complete.</summary>
    public string Flush()
    {
        var rest = _pending.ToString();
        _pending.Clear();
        return Filter(rest);
    }

    /// <summary>Removes citations outside 1..<paramref name="sourceCount"/> from a complete answer.</summary>
    public static string Clean(string answer, int sourceCount)
    {
        var filter = new CitationFilter(sourceCount);
        return filter.Append(answer) + filter.Flush();
    }

    private string Filter(string text) => Citation().Replace(text, match =>
    {
        var number = int.Parse(match.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);
        if (number >= 1 && number <= sourceCount)
        {
            _cited.Add(number);
            return match.Value;
        }

        // Take the space before a removed citation with it, so "text [9]." reads "text.".
        Removed++;
        return string.Empty;
    });

    [GeneratedRegex(@" ?\[(\d{1,6})\]", RegexOptions.CultureInvariant)]
    private static partial Regex Citation();

    [GeneratedRegex(@"^\[\d{0,6}$", RegexOptions.CultureInvariant)]
    private static partial Regex PossibleCitationStart();
}
