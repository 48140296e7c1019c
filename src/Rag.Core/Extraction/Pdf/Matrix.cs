namespace Rag.Core.Extraction.Pdf;

/// <summary>A PDF transformation matrix [a b c d e f]; points are row vectors, so A.Multiply(B) applies A then B.</summary>
internal readonly record struct Matrix(double A, double B, double C, double D, double E, double F)
{
    public static Matrix Identity { get; } = new(1, 0, 0, 1, 0, 0);

    public static Matrix Translation(double x, double y) => new(1, 0, 0, 1, x, y);

    public Matrix Multiply(Matrix other) => new(
        (A * other.A) + (B * other.C),
        (A * other.B) + (B * other.D),
        (C * other.A) + (D * other.C),
        (C * other.B) + (D * other.D),
        (E * other.A) + (F * other.C) + other.E,
        (E * other.B) + (F * other.D) + other.F);

    public (double X, double Y) Transform(double x, double y) => ((x * A) + (y * C) + E, (x * B) + (y * D) + F);

    /// <summary>How much the matrix scales vertical lengths; used for the rendered font size.</summary>
    public double VerticalScale => Math.Sqrt((C * C) + (D * D));

    public static Matrix? FromArray(PdfArray? array) =>
        array is { Count: 6 } && array.All(v => v is double)
            ? new Matrix((double)array[0], (double)array[1], (double)array[2], (double)array[3], (double)array[4], (double)array[5])
            : null;
}
