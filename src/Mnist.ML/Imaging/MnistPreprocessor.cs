// Turns any decoded picture of a digit into the 28x28 MNIST-style input the model was trained on.
// The steps follow how MNIST itself was made (LeCun et al.): ink bounding box -> longest side 20 px with
// anti-aliasing (area averaging) -> pasted in 28x28 so the centre of mass lands on pixel (14, 14).
// Every step is its own internal method so tests pin each one; PreprocessingVersion changes whenever the output would.
namespace Mnist.ML.Imaging;

/// <summary>
/// MNIST preprocessing shared by training, prediction, the CLI and the server:
/// alpha composited on paper (white; black for light ink on a transparent canvas) → BT.601 luma → (images over 700 px reduced by area averaging) → polarity (dark ink on light paper is inverted) →
/// background subtracted and contrast stretched → crop to the ink → longest side scaled to 20 px
/// (area averaging, aspect kept) → centred by centre of mass in 28x28. Stateless and thread-safe.
/// </summary>
public static class MnistPreprocessor
{
    /// <summary>Identifies this exact pipeline; models record it so a changed pipeline is detected.</summary>
    public const string PreprocessingVersion = "mnist-preprocess/1";

    internal const int Size = 28;
    internal const int DigitBox = 20;

    // Larger images are first area-averaged down to this longest side (about 25 px per MNIST pixel for a full-frame digit).
    internal const int WorkingSize = 700;

    // Where MNIST's centre of mass sits (mean over the test set: x 14.01, y 13.99, pixel centres at integers).
    internal const double CentreOfMass = 14.0;

    // Ink must stand out from the paper by at least this much (0..1) and by MinContrastSigmas noise deviations.
    internal const float MinContrast = 0.08f;
    internal const float MinContrastSigmas = 8f;

    // After stretching, values under max(ThresholdFloor, ThresholdSigmas * noise) are background.
    internal const float ThresholdFloor = 0.005f;
    internal const float ThresholdSigmas = 4f;

    // Ink at least this strong (after stretching) anchors strokes; fainter pixels count only next to it.
    internal const float StrongInk = 0.25f;

    /// <summary>Decodes an encoded image (PNG, JPEG, BMP, GIF; sniffed from the bytes) and preprocesses it.</summary>
    /// <exception cref="ImageFormatException">The bytes are corrupt or truncated.</exception>
    /// <exception cref="UnsupportedImageException">Unknown format, unsupported variant, or over the limits.</exception>
    public static PreprocessedDigit Preprocess(ReadOnlySpan<byte> encodedImage, ImageDecodeOptions? options = null) =>
        Preprocess(ImageDecoder.Decode(encodedImage, options));

    /// <summary>Reads an encoded image from a stream (at most <see cref="ImageDecodeOptions.MaxBytes"/>) and preprocesses it.</summary>
    /// <exception cref="ImageFormatException">The bytes are corrupt or truncated.</exception>
    /// <exception cref="UnsupportedImageException">Unknown format, unsupported variant, or over the limits.</exception>
    public static PreprocessedDigit Preprocess(Stream encodedImage, ImageDecodeOptions? options = null) =>
        Preprocess(ImageDecoder.Decode(encodedImage, options));

    /// <summary>
    /// Reads an encoded image from a stream asynchronously (at most <see cref="ImageDecodeOptions.MaxBytes"/>),
    /// then decodes and preprocesses it (CPU-bound, on the calling thread).
    /// </summary>
    /// <exception cref="ImageFormatException">The bytes are corrupt or truncated.</exception>
    /// <exception cref="UnsupportedImageException">Unknown format, unsupported variant, or over the limits.</exception>
    public static async Task<PreprocessedDigit> PreprocessAsync(Stream encodedImage, ImageDecodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= ImageDecodeOptions.Default;
        byte[] data = await ImageDecoder.ReadLimitedAsync(encodedImage, options.MaxBytes, cancellationToken).ConfigureAwait(false);
        return Preprocess(data, options);
    }

    /// <summary>
    /// Accepts an already-prepared 28x28 MNIST-style input (784 floats, 0..1, ink bright) untouched,
    /// for callers that render digits themselves (for example a canvas that already downsampled).
    /// </summary>
    /// <exception cref="ArgumentException">Not 784 values, or a value outside 0..1 or not a number.</exception>
    public static PreprocessedDigit FromPixels(ReadOnlySpan<float> pixels)
    {
        if (pixels.Length != Size * Size)
        {
            throw new ArgumentException($"Expected {Size * Size} values (28x28), got {pixels.Length}.", nameof(pixels));
        }
        bool hasInk = false;
        foreach (float v in pixels)
        {
            if (!(v >= 0f && v <= 1f))
            {
                throw new ArgumentException($"Pixel value {v} is outside 0..1; scale 0..255 input by 1/255 first.", nameof(pixels));
            }
            hasInk |= v > 0f;
        }
        return new PreprocessedDigit(pixels.ToArray(), hasInk);
    }

    internal static PreprocessedDigit Preprocess(Image image)
    {
        int w = image.Width, h = image.Height;
        float[] ink = ToLuma(image);
        if (Math.Max(w, h) > WorkingSize)
        {
            // The digit ends up 20 px tall; working on a phone photo at full resolution only costs time and memory.
            double s = (double)WorkingSize / Math.Max(w, h);
            int sw = Math.Max(1, (int)Math.Round(w * s)), sh = Math.Max(1, (int)Math.Round(h * s));
            ink = ResizeArea(ink, w, 0, 0, w, h, sw, sh);
            (w, h) = (sw, sh);
        }
        bool invert = IsLightBackground(ink, w, h);
        if (invert)
        {
            for (int i = 0; i < ink.Length; i++)
            {
                ink[i] = 1f - ink[i];
            }
        }
        if (!NormaliseContrast(ink, w, h))
        {
            return new PreprocessedDigit(new float[Size * Size], hasInk: false);
        }
        var (x0, y0, cw, ch) = InkBounds(ink, w, h);
        double scale = (double)DigitBox / Math.Max(cw, ch);
        int ow = Math.Clamp((int)Math.Round(cw * scale), 1, DigitBox);
        int oh = Math.Clamp((int)Math.Round(ch * scale), 1, DigitBox);
        float[] digit = ResizeArea(ink, w, x0, y0, cw, ch, ow, oh);
        return new PreprocessedDigit(CentreByMass(digit, ow, oh), hasInk: true);
    }

    /// <summary>
    /// Composites on paper, then BT.601 luma in 0..1 (1 = white). The paper is white, except for drawings on a
    /// transparent canvas (most of the border transparent) whose ink is light: those get black paper, or white
    /// strokes drawn on a transparent web canvas would vanish into white.
    /// </summary>
    internal static float[] ToLuma(Image image)
    {
        byte[] rgba = image.Rgba;
        var luma = new float[image.Width * image.Height];
        double inkLuma = 0, inkWeight = 0;
        for (int i = 0, o = 0; i < luma.Length; i++, o += 4)
        {
            luma[i] = (0.299f * rgba[o] + 0.587f * rgba[o + 1] + 0.114f * rgba[o + 2]) / 255f;
            inkLuma += luma[i] * rgba[o + 3];
            inkWeight += rgba[o + 3];
        }
        float paper = 1f;
        if (TransparentBorderFraction(image) > 0.5 && inkWeight > 0 && inkLuma / inkWeight > 0.5)
        {
            paper = 0f;
        }
        for (int i = 0, o = 3; i < luma.Length; i++, o += 4)
        {
            float a = rgba[o] / 255f;
            luma[i] = luma[i] * a + paper * (1f - a);
        }
        return luma;
    }

    private static double TransparentBorderFraction(Image image)
    {
        int w = image.Width, h = image.Height, transparent = 0, total = 0;
        for (int y = 0; y < h; y++)
        {
            int step = y == 0 || y == h - 1 ? 1 : Math.Max(1, w - 1);
            for (int x = 0; x < w; x += step)
            {
                total++;
                transparent += image.Rgba[(y * w + x) * 4 + 3] < 128 ? 1 : 0;
            }
        }
        return (double)transparent / total;
    }

    /// <summary>
    /// True for dark ink on light paper (the usual photo or scan), which must be inverted to MNIST's light-on-dark.
    /// Decided from the image border, which is paper far more often than ink.
    /// </summary>
    internal static bool IsLightBackground(ReadOnlySpan<float> luma, int w, int h)
    {
        float[] border = BorderPoints(luma, w, h).Select(p => p.V).ToArray();
        float borderMedian = Median(border);
        if (Math.Abs(borderMedian - 0.5f) > 0.05f)
        {
            return borderMedian > 0.5f;
        }
        // Mid-grey border: ink is the minority, so the side the whole-image median leans to is the paper.
        return Median(luma.ToArray()) > borderMedian;
    }

    /// <summary>
    /// Makes the background 0 and the strongest ink 1 (ink bright), zeroing noise below a threshold.
    /// Returns false when nothing stands out from the background: the image is blank.
    /// </summary>
    internal static bool NormaliseContrast(Span<float> ink, int w, int h)
    {
        // Paper level as a plane fitted to the border: photos are lit unevenly, and a single level would
        // leave one side of the page brighter than faint strokes on the other.
        var (a, bx, by, sigma) = FitBackgroundPlane(ink, w, h);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                ink[y * w + x] -= a + bx * x + by * y;
            }
        }
        if (sigma > 0.01f && w >= 3 && h >= 3)
        {
            // Photos carry sensor/JPEG noise; a 3x3 median removes lone speckles (which would stretch the
            // bounding box) while strokes wider than a pixel survive. Clean images skip it so thin lines stay.
            MedianFilter3x3(ink, w, h);
        }
        float peak = 0f;
        for (int i = 0; i < ink.Length; i++)
        {
            peak = Math.Max(peak, ink[i]);
        }
        if (peak < Math.Max(MinContrast, MinContrastSigmas * sigma))
        {
            return false;
        }
        float threshold = Math.Max(ThresholdFloor, ThresholdSigmas * sigma / peak);
        for (int i = 0; i < ink.Length; i++)
        {
            float v = ink[i] / peak;
            ink[i] = v < threshold ? 0f : Math.Min(v, 1f);
        }
        return KeepNearStrongInk(ink, w, h);
    }

    /// <summary>
    /// Zeroes faint pixels farther than a couple of pixels from strong ink (above <see cref="StrongInk"/>):
    /// noise and lighting leftovers far from the strokes would otherwise stretch the bounding box, while the
    /// faint anti-aliased edges right next to strokes (all over MNIST) are kept. Returns false if no strong ink.
    /// </summary>
    internal static bool KeepNearStrongInk(Span<float> ink, int w, int h)
    {
        int r = Math.Max(2, (int)Math.Round(0.02 * Math.Max(w, h)));
        // Separable square dilation of the strong mask with running counts: O(pixels) for any radius.
        var rows = new bool[w * h];
        bool any = false;
        for (int y = 0; y < h; y++)
        {
            int count = 0;
            for (int x = -r; x < w; x++)
            {
                int enter = x + r, leave = x - r - 1;
                if (enter < w && ink[y * w + enter] >= StrongInk)
                {
                    count++;
                }
                if (leave >= 0 && ink[y * w + leave] >= StrongInk)
                {
                    count--;
                }
                if (x >= 0)
                {
                    rows[y * w + x] = count > 0;
                    any |= count > 0;
                }
            }
        }
        if (!any)
        {
            ink.Clear();
            return false;
        }
        for (int x = 0; x < w; x++)
        {
            int count = 0;
            for (int y = -r; y < h; y++)
            {
                int enter = y + r, leave = y - r - 1;
                if (enter < h && rows[enter * w + x])
                {
                    count++;
                }
                if (leave >= 0 && rows[leave * w + x])
                {
                    count--;
                }
                if (y >= 0 && count == 0)
                {
                    ink[y * w + x] = 0f;
                }
            }
        }
        return true;
    }

    /// <summary>The smallest rectangle holding every ink pixel (value above 0); call after <see cref="NormaliseContrast"/>.</summary>
    internal static (int X, int Y, int Width, int Height) InkBounds(ReadOnlySpan<float> ink, int w, int h)
    {
        int x0 = w, y0 = h, x1 = -1, y1 = -1;
        for (int y = 0; y < h; y++)
        {
            ReadOnlySpan<float> row = ink.Slice(y * w, w);
            for (int x = 0; x < w; x++)
            {
                if (row[x] > 0f)
                {
                    x0 = Math.Min(x0, x);
                    x1 = Math.Max(x1, x);
                    y0 = Math.Min(y0, y);
                    y1 = Math.Max(y1, y);
                }
            }
        }
        return x1 < 0 ? (0, 0, 0, 0) : (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    /// <summary>
    /// Area-averaging resample of the crop (x0, y0, cw, ch) of a (?, w) image to (oh, ow): each output pixel is
    /// the mean of the source area it covers, fractional edges weighted, as MNIST's anti-aliased normalisation.
    /// </summary>
    internal static float[] ResizeArea(ReadOnlySpan<float> src, int w, int x0, int y0, int cw, int ch, int ow, int oh)
    {
        var (colIndex, colWeight) = AreaWeights(cw, ow);
        var (rowIndex, rowWeight) = AreaWeights(ch, oh);
        var tmp = new float[ch * ow]; // (ch, ow): horizontal pass
        for (int y = 0; y < ch; y++)
        {
            ReadOnlySpan<float> row = src.Slice((y0 + y) * w + x0, cw);
            for (int ox = 0; ox < ow; ox++)
            {
                float sum = 0f;
                foreach (var (j, wt) in Taps(colIndex, colWeight, ox))
                {
                    sum += row[j] * wt;
                }
                tmp[y * ow + ox] = sum;
            }
        }
        var output = new float[oh * ow];  // (oh, ow): vertical pass
        for (int oy = 0; oy < oh; oy++)
        {
            foreach (var (j, wt) in Taps(rowIndex, rowWeight, oy))
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    output[oy * ow + ox] += tmp[j * ow + ox] * wt;
                }
            }
        }
        return output;
    }

    /// <summary>Pastes a (ph, pw) digit into 28x28 so its centre of mass lands on (14, 14), clipping what falls outside.</summary>
    internal static float[] CentreByMass(ReadOnlySpan<float> patch, int pw, int ph)
    {
        double mass = 0, mx = 0, my = 0;
        for (int y = 0; y < ph; y++)
        {
            for (int x = 0; x < pw; x++)
            {
                float v = patch[y * pw + x];
                mass += v;
                mx += v * x;
                my += v * y;
            }
        }
        int dx = mass > 0 ? (int)Math.Round(CentreOfMass - mx / mass, MidpointRounding.AwayFromZero) : (Size - pw) / 2;
        int dy = mass > 0 ? (int)Math.Round(CentreOfMass - my / mass, MidpointRounding.AwayFromZero) : (Size - ph) / 2;
        var output = new float[Size * Size];
        for (int y = 0; y < ph; y++)
        {
            int ty = y + dy;
            if ((uint)ty >= Size)
            {
                continue;
            }
            for (int x = 0; x < pw; x++)
            {
                int tx = x + dx;
                if ((uint)tx < Size)
                {
                    output[ty * Size + tx] = Math.Clamp(patch[y * pw + x], 0f, 1f);
                }
            }
        }
        return output;
    }

    // For each output index: the source indices it covers and their weights (summing to 1). Flattened:
    // index[i] = (start, count) into the weight list.
    private static ((int Start, int Count)[] Index, (int Source, float Weight)[] Weights) AreaWeights(int inLen, int outLen)
    {
        var index = new (int, int)[outLen];
        var weights = new List<(int, float)>();
        double step = (double)inLen / outLen;
        for (int i = 0; i < outLen; i++)
        {
            double lo = i * step, hi = (i + 1) * step;
            int start = weights.Count;
            for (int j = (int)Math.Floor(lo); j < Math.Min(inLen, (int)Math.Ceiling(hi)); j++)
            {
                double overlap = Math.Min(hi, j + 1) - Math.Max(lo, j);
                if (overlap > 1e-9)
                {
                    weights.Add((j, (float)(overlap / step)));
                }
            }
            index[i] = (start, weights.Count - start);
        }
        return (index, weights.ToArray());
    }

    private static ReadOnlySpan<(int Source, float Weight)> Taps((int Start, int Count)[] index, (int, float)[] weights, int i) =>
        weights.AsSpan(index[i].Start, index[i].Count);

    /// <summary>Pixels of the outer band (about 4% of the short side, at least 1 px): where the paper is.</summary>
    private static List<(int X, int Y, float V)> BorderPoints(ReadOnlySpan<float> img, int w, int h)
    {
        int band = Math.Max(1, (int)Math.Round(Math.Min(w, h) * 0.04));
        var points = new List<(int X, int Y, float V)>();
        for (int y = 0; y < h; y++)
        {
            bool edgeRow = y < band || y >= h - band;
            for (int x = 0; x < w; x++)
            {
                if (edgeRow || x < band || x >= w - band)
                {
                    points.Add((x, y, img[y * w + x]));
                }
            }
        }
        return points;
    }

    /// <summary>
    /// Least-squares plane v = a + bx·x + by·y through the border pixels, refitted once without outliers (ink that
    /// touches the border); sigma is the noise left around it (1.4826 x median absolute residual).
    /// </summary>
    internal static (float A, float Bx, float By, float Sigma) FitBackgroundPlane(ReadOnlySpan<float> img, int w, int h)
    {
        List<(int X, int Y, float V)> points = BorderPoints(img, w, h);
        // Start from the median level (robust to ink on the border), then fit planes to the inliers.
        double a = Median(points.Select(p => p.V).ToArray()), bx = 0, by = 0;
        float sigma = 0f;
        for (int iteration = 0; iteration < 3; iteration++)
        {
            var residuals = points.Select(p => (float)Math.Abs(p.V - (a + bx * p.X + by * p.Y))).ToArray();
            sigma = 1.4826f * Median((float[])residuals.Clone());
            double limit = 3 * sigma + 0.02;
            var inliers = points.Where((p, i) => residuals[i] <= limit).ToList();
            if (iteration == 2 || inliers.Count < 3 || !TryFitPlane(inliers, out double fa, out double fbx, out double fby))
            {
                break;
            }
            (a, bx, by) = (fa, fbx, fby);
        }
        return ((float)a, (float)bx, (float)by, sigma);
    }

    private static bool TryFitPlane(List<(int X, int Y, float V)> points, out double a, out double bx, out double by)
    {
        // Normal equations for [1 x y] · [a bx by] = v, solved by Cramer's rule.
        double n = points.Count, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, sv = 0, sxv = 0, syv = 0;
        foreach (var (x, y, v) in points)
        {
            sx += x; sy += y; sxx += (double)x * x; syy += (double)y * y; sxy += (double)x * y;
            sv += v; sxv += x * v; syv += y * v;
        }
        double det = n * (sxx * syy - sxy * sxy) - sx * (sx * syy - sxy * sy) + sy * (sx * sxy - sxx * sy);
        if (Math.Abs(det) < 1e-9)
        {
            a = bx = by = 0;
            return false;
        }
        a = (sv * (sxx * syy - sxy * sxy) - sx * (sxv * syy - sxy * syv) + sy * (sxv * sxy - sxx * syv)) / det;
        bx = (n * (sxv * syy - syv * sxy) - sv * (sx * syy - sxy * sy) + sy * (sx * syv - sxv * sy)) / det;
        by = (n * (sxx * syv - sxy * sxv) - sx * (sx * syv - sxv * sy) + sv * (sx * sxy - sxx * sy)) / det;
        return true;
    }

    private static float Median(float[] values)
    {
        if (values.Length == 0)
        {
            return 0f;
        }
        Array.Sort(values);
        return values[values.Length / 2];
    }

    private static void MedianFilter3x3(Span<float> img, int w, int h)
    {
        float[] src = img.ToArray();
        Span<float> window = stackalloc float[9];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int n = 0;
                for (int dy = -1; dy <= 1; dy++)
                {
                    int yy = Math.Clamp(y + dy, 0, h - 1);
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        window[n++] = src[yy * w + Math.Clamp(x + dx, 0, w - 1)];
                    }
                }
                window.Sort();
                img[y * w + x] = window[4];
            }
        }
    }
}
