// The learning curve of a training run as a standalone SVG: loss (left) and accuracy (right) per
// epoch, training and validation, with axes, ticks and a legend. Opens in any browser.
using System.Globalization;
using System.Security;
using System.Text;

namespace Mnist.ML.Cli.Reports;

internal static class LearningCurveSvg
{
    private const int PanelWidth = 480, Height = 400;
    private const int Left = 64, Right = 24, Top = 56, Bottom = 56;
    private const string TrainColor = "#1f77b4", ValidationColor = "#ff7f0e";

    public static void Write(string path, string title, IReadOnlyList<EpochMetrics> epochs) => File.WriteAllText(path, Render(title, epochs));

    public static string Render(string title, IReadOnlyList<EpochMetrics> epochs)
    {
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{2 * PanelWidth}\" height=\"{Height}\" viewBox=\"0 0 {2 * PanelWidth} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{2 * PanelWidth}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{PanelWidth}\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">{SecurityElement.Escape(title)}</text>\n"));

        double maxLoss = epochs.SelectMany(e => new[] { e.TrainLoss, e.ValidationLoss ?? 0 }).DefaultIfEmpty(1).Max();
        double lossTop = NiceCeiling(maxLoss);
        Panel(svg, 0, "loss", 0, lossTop, epochs, e => e.TrainLoss, e => e.ValidationLoss, v => v.ToString("0.##", CultureInfo.InvariantCulture));

        double minAccuracy = epochs.SelectMany(e => new[] { e.TrainAccuracy, e.ValidationAccuracy ?? 1 }).DefaultIfEmpty(0).Min() * 100;
        double accuracyBottom = Math.Clamp(Math.Floor((minAccuracy - 0.5) / 10) * 10, 0, 90);
        Panel(svg, PanelWidth, "accuracy (%)", accuracyBottom, 100, epochs, e => e.TrainAccuracy * 100, e => e.ValidationAccuracy * 100,
            v => v.ToString("0.#", CultureInfo.InvariantCulture));
        return svg.Append("</svg>\n").ToString();
    }

    private static void Panel(StringBuilder svg, int offsetX, string name, double yMin, double yMax, IReadOnlyList<EpochMetrics> epochs,
        Func<EpochMetrics, double> train, Func<EpochMetrics, double?> validation, Func<double, string> label)
    {
        int x0 = offsetX + Left, x1 = offsetX + PanelWidth - Right, y0 = Height - Bottom, y1 = Top;
        int lastEpoch = epochs.Count == 0 ? 1 : epochs[^1].Epoch;
        int firstEpoch = epochs.Count == 0 ? 1 : epochs[0].Epoch;
        // A single epoch still gets a visible x range: the point sits in the middle.
        double xLow = firstEpoch == lastEpoch ? firstEpoch - 1 : firstEpoch, xHigh = firstEpoch == lastEpoch ? lastEpoch + 1 : lastEpoch;
        double X(double epoch) => x0 + (epoch - xLow) / (xHigh - xLow) * (x1 - x0);
        double Y(double value) => y0 - (Math.Clamp(value, yMin, yMax) - yMin) / (yMax - yMin) * (y0 - y1);

        svg.Append(Invariant($"<g class=\"{(name == "loss" ? "loss" : "accuracy")}\">\n"));
        svg.Append(Invariant($"<text x=\"{(x0 + x1) / 2}\" y=\"{Top - 14}\" text-anchor=\"middle\" font-size=\"14\">{name}</text>\n"));
        // Grid and y ticks.
        for (int i = 0; i <= 5; i++)
        {
            double value = yMin + (yMax - yMin) * i / 5;
            double y = Y(value);
            svg.Append(Invariant($"<line x1=\"{x0}\" y1=\"{y:0.#}\" x2=\"{x1}\" y2=\"{y:0.#}\" stroke=\"#e5e5e5\"/>\n"));
            svg.Append(Invariant($"<text x=\"{x0 - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{label(value)}</text>\n"));
        }
        // x ticks at whole epochs, at most about ten of them.
        int step = Math.Max(1, (int)Math.Ceiling((lastEpoch - firstEpoch + 1) / 10.0));
        for (int epoch = firstEpoch; epoch <= lastEpoch; epoch += step)
        {
            double x = X(epoch);
            svg.Append(Invariant($"<line x1=\"{x:0.#}\" y1=\"{y0}\" x2=\"{x:0.#}\" y2=\"{y0 + 5}\" stroke=\"#333\"/>\n"));
            svg.Append(Invariant($"<text x=\"{x:0.#}\" y=\"{y0 + 18}\" text-anchor=\"middle\">{epoch}</text>\n"));
        }
        svg.Append(Invariant($"<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#333\"/>\n"));
        svg.Append(Invariant($"<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{y1}\" stroke=\"#333\"/>\n"));
        svg.Append(Invariant($"<text x=\"{(x0 + x1) / 2}\" y=\"{y0 + 40}\" text-anchor=\"middle\">epoch</text>\n"));

        Series(svg, "train", TrainColor, "", epochs.Select(e => (X(e.Epoch), Y(train(e)))).ToList());
        var validated = epochs.Where(e => validation(e) is not null).Select(e => (X(e.Epoch), Y(validation(e)!.Value))).ToList();
        Series(svg, "validation", ValidationColor, " stroke-dasharray=\"6 4\"", validated);

        // Legend, top right of the plot area.
        int lx = x1 - 110, ly = y1 + 8;
        svg.Append(Invariant($"<rect x=\"{lx - 8}\" y=\"{ly - 4}\" width=\"114\" height=\"{(validated.Count > 0 ? 42 : 24)}\" fill=\"white\" stroke=\"#ccc\"/>\n"));
        Legend(svg, lx, ly + 8, TrainColor, "", "train");
        if (validated.Count > 0)
        {
            Legend(svg, lx, ly + 26, ValidationColor, " stroke-dasharray=\"6 4\"", "validation");
        }
        svg.Append("</g>\n");
    }

    private static void Series(StringBuilder svg, string name, string color, string dash, List<(double X, double Y)> points)
    {
        if (points.Count == 0)
        {
            return;
        }
        string coordinates = string.Join(' ', points.Select(p => Invariant($"{p.X:0.#},{p.Y:0.#}")));
        svg.Append(Invariant($"<polyline class=\"{name}\" points=\"{coordinates}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>\n"));
        foreach (var (x, y) in points)
        {
            svg.Append(Invariant($"<circle cx=\"{x:0.#}\" cy=\"{y:0.#}\" r=\"3\" fill=\"{color}\"/>\n"));
        }
    }

    private static void Legend(StringBuilder svg, int x, int y, string color, string dash, string text)
    {
        svg.Append(Invariant($"<line x1=\"{x}\" y1=\"{y}\" x2=\"{x + 24}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>\n"));
        svg.Append(Invariant($"<text x=\"{x + 30}\" y=\"{y + 4}\">{text}</text>\n"));
    }

    /// <summary>The smallest of 1, 2, 2.5, 5 times a power of ten that is at least <paramref name="value"/>.</summary>
    private static double NiceCeiling(double value)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            return 1;
        }
        double power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (double m in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (m * power >= value)
            {
                return m * power;
            }
        }
        return 10 * power;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
