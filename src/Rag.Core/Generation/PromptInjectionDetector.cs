using System.Text.RegularExpressions;

namespace Rag.Core.Generation;

/// <summary>
/// Rule-based detection of text that tries to instruct the model rather than inform it: overriding earlier
/// instructions, reassigning the model's role, asking for its system prompt, chat-template markers and
/// invisible characters that hide text from a human reader. Cheap and explainable; not a classifier, so it
/// flags rather than blocks: flagged passages stay fenced as data and the answer's instructions never change.
/// </summary>
public static partial class PromptInjectionDetector
{
    /// <summary>The names of the rules <paramref name="text"/> matches; empty when none does.</summary>
    public static IReadOnlyList<string> Detect(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var matched = new List<string>();
        foreach (var (name, pattern) in Rules)
        {
            try
            {
                if (pattern.IsMatch(text))
                {
                    matched.Add(name);
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // Text too convoluted to check within the budget is treated as suspicious: flagged, not blocked.
                matched.Add(name);
            }
        }

        return matched;
    }

    public static bool IsSuspicious(string text) => Detect(text).Count > 0;

    private static readonly (string Name, Regex Pattern)[] Rules =
    [
        ("override_instructions", OverrideInstructions()),
        ("role_reassignment", RoleReassignment()),
        ("system_prompt_probe", SystemPromptProbe()),
        ("jailbreak_marker", JailbreakMarker()),
        ("chat_template_marker", ChatTemplateMarker()),
        ("hidden_text", HiddenText()),
    ];

    [GeneratedRegex(@"\b(ignore|disregard|forget|override|bypass)\b[\s\S]{0,40}?\b(previous|prior|above|earlier|preceding|all|any|your|the|system)\b[\s\S]{0,20}?\b(instructions?|prompts?|rules|directions|guidelines|context)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex OverrideInstructions();

    [GeneratedRegex(@"\b(you are now|from now on,? you|act as (an?|the) |pretend (to be|you are)|roleplay as|role-play as|new instructions\s*:|your new (role|task|instructions))", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RoleReassignment();

    [GeneratedRegex(@"\b(system prompt|system message|initial instructions|(reveal|print|repeat|show) (your|the) (instructions|prompt))", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SystemPromptProbe();

    [GeneratedRegex(@"\b(jailbreak|jailbroken|DAN mode|do anything now|developer mode|no restrictions|unfiltered mode)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex JailbreakMarker();

    [GeneratedRegex(@"<\|im_(start|end)\|>|\[/?INST\]|<</?SYS>>|^\s*#{2,}\s*(system|instruction)s?\b|^\s*(system|assistant)\s*:", RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ChatTemplateMarker();

    // Zero-width and bidirectional-override characters, and Unicode tag characters (U+E0000 block, as surrogate pairs).
    [GeneratedRegex(@"[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]|\uDB40[\uDC00-\uDC7F]", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex HiddenText();
}
