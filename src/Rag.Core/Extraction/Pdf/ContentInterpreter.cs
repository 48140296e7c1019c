namespace Rag.Core.Extraction.Pdf;

/// <summary>A glyph as placed on the page: its text, its baseline origin in page space, its advance and size.</summary>
internal readonly record struct PlacedGlyph(string Text, double X, double Y, double Width, double FontSize);

/// <summary>
/// Runs a page's content stream far enough to know where each glyph lands: the text state and text
/// operators, the graphics state stack and CTM, and Form XObjects (depth-limited, cycle-safe).
/// </summary>
internal sealed class ContentInterpreter
{
    private const int MaxFormDepth = 12;
    private const int MaxStateStack = 256;
    private const int MaxOperators = 5_000_000;

    private readonly PdfFile _file;
    private readonly Dictionary<PdfDictionary, PdfFont> _fonts = new(ReferenceEqualityComparer.Instance);
    private readonly List<PlacedGlyph> _glyphs = [];
    private readonly CancellationToken _cancellationToken;
    private readonly HashSet<PdfStream> _activeForms = new(ReferenceEqualityComparer.Instance);

    // Forms such as running headers recur on every page; decode each once, so it is charged to the budget once.
    private readonly Dictionary<PdfStream, byte[]> _decodedForms = new(ReferenceEqualityComparer.Instance);
    private int _operators;

    private GraphicsState _state = new();
    private Stack<GraphicsState> _stack = new();
    private Matrix _textMatrix = Matrix.Identity;
    private Matrix _lineMatrix = Matrix.Identity;

    private sealed record GraphicsState
    {
        public Matrix Ctm { get; init; } = Matrix.Identity;

        public PdfFont? Font { get; init; }

        public double FontSize { get; init; } = 1;

        public double CharSpacing { get; init; }

        public double WordSpacing { get; init; }

        public double HorizontalScale { get; init; } = 1;

        public double Leading { get; init; }

        public double Rise { get; init; }
    }

    public ContentInterpreter(PdfFile file, CancellationToken cancellationToken)
    {
        _file = file;
        _cancellationToken = cancellationToken;
    }

    public IReadOnlyList<PlacedGlyph> ReadPage(byte[] content, PdfDictionary? resources)
    {
        _glyphs.Clear();
        _state = new GraphicsState();
        _stack = new Stack<GraphicsState>();
        _operators = 0;
        Run(content, resources, depth: 0);
        return _glyphs.ToList();
    }

    private void Run(byte[] content, PdfDictionary? resources, int depth)
    {
        var lexer = new PdfLexer(content);
        var operands = new List<object>();
        while (true)
        {
            var token = lexer.ReadObject(false);
            if (token is null)
            {
                return;
            }

            if (token is not PdfOperator op)
            {
                // Operands never legitimately pile up; a runaway list means garbage.
                if (operands.Count < 64)
                {
                    operands.Add(token);
                }

                continue;
            }

            if (++_operators > MaxOperators)
            {
                throw new PdfFormatException("a content stream has too many operators");
            }

            if ((_operators & 0x3FF) == 0)
            {
                _cancellationToken.ThrowIfCancellationRequested();
            }

            if (op.Value == "ID")
            {
                SkipInlineImage(lexer);
            }
            else
            {
                Execute(op.Value, operands, resources, depth);
            }

            operands.Clear();
        }
    }

    private void Execute(string op, List<object> operands, PdfDictionary? resources, int depth)
    {
        switch (op)
        {
            case "q":
                if (_stack.Count < MaxStateStack)
                {
                    _stack.Push(_state);
                }

                break;
            case "Q":
                if (_stack.Count > 0)
                {
                    _state = _stack.Pop();
                }

                break;
            case "cm" when Numbers(operands, 6) is { } m:
                _state = _state with { Ctm = new Matrix(m[0], m[1], m[2], m[3], m[4], m[5]).Multiply(_state.Ctm) };
                break;
            case "BT":
                _textMatrix = _lineMatrix = Matrix.Identity;
                break;
            case "Tf" when operands is [PdfName fontName, double size]:
                _state = _state with { Font = FindFont(resources, fontName.Value), FontSize = size };
                break;
            case "Tc" when operands is [double spacing]:
                _state = _state with { CharSpacing = spacing };
                break;
            case "Tw" when operands is [double spacing]:
                _state = _state with { WordSpacing = spacing };
                break;
            case "Tz" when operands is [double scale]:
                _state = _state with { HorizontalScale = scale / 100 };
                break;
            case "TL" when operands is [double leading]:
                _state = _state with { Leading = leading };
                break;
            case "Ts" when operands is [double rise]:
                _state = _state with { Rise = rise };
                break;
            case "Td" when operands is [double tx, double ty]:
                MoveLine(tx, ty);
                break;
            case "TD" when operands is [double tx, double ty]:
                _state = _state with { Leading = -ty };
                MoveLine(tx, ty);
                break;
            case "Tm" when Numbers(operands, 6) is { } m:
                _textMatrix = _lineMatrix = new Matrix(m[0], m[1], m[2], m[3], m[4], m[5]);
                break;
            case "T*":
                MoveLine(0, -_state.Leading);
                break;
            case "Tj" when operands is [PdfString text]:
                Show(text.Bytes);
                break;
            case "'" when operands is [PdfString text]:
                MoveLine(0, -_state.Leading);
                Show(text.Bytes);
                break;
            case "\"" when operands is [double wordSpacing, double charSpacing, PdfString text]:
                _state = _state with { WordSpacing = wordSpacing, CharSpacing = charSpacing };
                MoveLine(0, -_state.Leading);
                Show(text.Bytes);
                break;
            case "TJ" when operands is [PdfArray items]:
                foreach (var item in items)
                {
                    if (item is PdfString s)
                    {
                        Show(s.Bytes);
                    }
                    else if (item is double adjustment)
                    {
                        Advance(-adjustment / 1000 * _state.FontSize * _state.HorizontalScale);
                    }
                }

                break;
            case "Do" when operands is [PdfName name]:
                RunForm(resources, name.Value, depth);
                break;
        }
    }

    private void MoveLine(double tx, double ty)
    {
        _lineMatrix = Matrix.Translation(tx, ty).Multiply(_lineMatrix);
        _textMatrix = _lineMatrix;
    }

    private void Advance(double tx) => _textMatrix = Matrix.Translation(tx, 0).Multiply(_textMatrix);

    private void Show(byte[] bytes)
    {
        var font = _state.Font;
        if (font is null)
        {
            return;
        }

        var renderingMatrix = new Matrix(_state.FontSize * _state.HorizontalScale, 0, 0, _state.FontSize, 0, _state.Rise);
        foreach (var glyph in font.Decode(bytes))
        {
            var placement = renderingMatrix.Multiply(_textMatrix).Multiply(_state.Ctm);
            var glyphAdvance = glyph.Width / 1000 * _state.FontSize * _state.HorizontalScale;
            var advance = glyphAdvance + ((_state.CharSpacing + (glyph.IsSingleByteSpace ? _state.WordSpacing : 0)) * _state.HorizontalScale);
            var (x, y) = placement.Transform(0, 0);

            // The glyph's own extent, without character spacing, so that spacing used as a word gap shows as one.
            var (endX, _) = Matrix.Translation(glyphAdvance, 0).Multiply(_textMatrix).Multiply(_state.Ctm).Transform(0, 0);
            var width = endX - x;
            if (glyph.Text.Length > 0)
            {
                _glyphs.Add(new PlacedGlyph(glyph.Text, x, y, width, placement.VerticalScale));
            }

            Advance(advance);
        }
    }

    private PdfFont? FindFont(PdfDictionary? resources, string name)
    {
        var fonts = _file.ResolveDictionary(resources?.GetRaw("Font"));
        if (_file.ResolveDictionary(fonts?.GetRaw(name)) is not { } dictionary)
        {
            return null;
        }

        if (!_fonts.TryGetValue(dictionary, out var font))
        {
            font = PdfFont.Load(dictionary, _file);
            _fonts[dictionary] = font;
        }

        return font;
    }

    private void RunForm(PdfDictionary? resources, string name, int depth)
    {
        var xobjects = _file.ResolveDictionary(resources?.GetRaw("XObject"));
        if (depth >= MaxFormDepth || _file.Resolve(xobjects?.GetRaw(name)) is not PdfStream form ||
            _file.Resolve(form.Dictionary.GetRaw("Subtype")) is not PdfName { Value: "Form" } || !_activeForms.Add(form))
        {
            return;
        }

        var saved = (_state, _textMatrix, _lineMatrix);
        try
        {
            if (Matrix.FromArray(_file.Resolve(form.Dictionary.GetRaw("Matrix")) as PdfArray) is { } matrix)
            {
                _state = _state with { Ctm = matrix.Multiply(_state.Ctm) };
            }

            var formResources = _file.ResolveDictionary(form.Dictionary.GetRaw("Resources")) ?? resources;
            if (!_decodedForms.TryGetValue(form, out var formContent))
            {
                formContent = _file.DecodeStream(form);
                _decodedForms[form] = formContent;
            }

            Run(formContent, formResources, depth + 1);
        }
        finally
        {
            (_state, _textMatrix, _lineMatrix) = saved;
            _activeForms.Remove(form);
        }
    }

    /// <summary>Inline image data is binary: skip to the "EI" that ends it.</summary>
    private static void SkipInlineImage(PdfLexer lexer)
    {
        var span = lexer.Data.Span;
        var position = lexer.Position + 1;
        while (position + 2 < span.Length)
        {
            if (span[position] == 'E' && span[position + 1] == 'I' && PdfLexer.IsWhitespace(span[position - 1]) &&
                (position + 2 == span.Length || PdfLexer.IsWhitespace(span[position + 2])))
            {
                lexer.Position = position + 2;
                return;
            }

            position++;
        }

        lexer.Position = span.Length;
    }

    private static double[]? Numbers(List<object> operands, int count) =>
        operands.Count == count && operands.All(o => o is double) ? operands.Cast<double>().ToArray() : null;
}
