// The HTML report of `mnist evaluate`: one self-contained file (inline CSS and SVG, digits as PNG
// data URLs) with the scores, the confusion matrix as a heat map and the misclassified digits.
using System.Globalization;
using System.Net;
using System.Text;
using Mnist.ML.Cli.Output;
using Mnist.ML.Trainer.Evaluation;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Cli.Reports;

internal static class EvaluationReport
{
    /// <summary>The gallery shows the most confident mistakes first, at most this many.</summary>
    public const int MaxMistakesShown = 200;

    public static void Write(string path, string modelName, string dataName, PredictorEvaluation evaluation) =>
        File.WriteAllText(path, Render(modelName, dataName, evaluation));

    public static string Render(string modelName, string dataName, PredictorEvaluation evaluation)
    {
        EvaluationResult r = evaluation.Result;
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>MNIST evaluation</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1100px}
            h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
            table.scores{border-collapse:collapse}table.scores td,table.scores th{padding:.2rem .8rem;text-align:right;border-bottom:1px solid #eee}
            .summary{font-size:1.2rem}.muted{color:#666}
            .gallery{display:flex;flex-wrap:wrap;gap:.8rem}
            .mistake{border:1px solid #ddd;border-radius:6px;padding:.5rem;width:150px;font-size:.8rem}
            .mistake img{width:84px;height:84px;image-rendering:pixelated;background:#000;display:block;margin:0 auto .3rem}
            .bars{display:grid;grid-template-columns:1em 1fr 3.5em;gap:1px 4px;align-items:center}
            .bar{height:8px;background:#4c78a8}.bar.true{background:#2ca02c}.bar.pred{background:#d62728}
            </style></head><body>

            """);
        html.Append(Invariant($"<h1>MNIST evaluation</h1>\n<p class=\"muted\">model {Encode(modelName)} &middot; data {Encode(dataName)} &middot; {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC</p>\n"));
        html.Append(Invariant($"<p class=\"summary\">accuracy <b>{r.Accuracy * 100:F2}%</b> on {r.Count:N0} images &middot; loss {r.Loss:F4} &middot; {evaluation.Mistakes.Count:N0} mistakes</p>\n"));

        html.Append("<h2>Per digit</h2>\n<table class=\"scores\"><tr><th>digit</th><th>precision</th><th>recall</th><th>F1</th></tr>\n");
        for (int k = 0; k < r.Classes; k++)
        {
            html.Append(Invariant($"<tr><td>{k}</td><td>{r.Precision[k] * 100:F2}%</td><td>{r.Recall[k] * 100:F2}%</td><td>{EvaluationView.F1(r, k) * 100:F2}%</td></tr>\n"));
        }
        html.Append("</table>\n");

        html.Append("<h2>Confusion matrix</h2>\n<p class=\"muted\">rows: true digit, columns: predicted digit; colour: share of the true digit's images</p>\n");
        html.Append(HeatMap(r));

        var shown = evaluation.Mistakes.OrderByDescending(m => m.Prediction.Confidence).Take(MaxMistakesShown).ToList();
        html.Append(Invariant($"<h2>Misclassified digits</h2>\n<p class=\"muted\">{shown.Count} of {evaluation.Mistakes.Count} shown, most confident mistakes first; green: true digit, red: predicted</p>\n<div class=\"gallery\">\n"));
        foreach (Mistake m in shown)
        {
            html.Append(Invariant($"<div class=\"mistake\"><img alt=\"test image {m.Index}\" src=\"data:image/png;base64,{Convert.ToBase64String(m.Prediction.ModelInput.ToPng())}\">"));
            html.Append(Invariant($"<div>#{m.Index}: true <b>{m.Label}</b>, predicted <b>{m.Prediction.Digit}</b> ({m.Prediction.Confidence * 100:F1}%)</div><div class=\"bars\">"));
            for (int d = 0; d < m.Prediction.Probabilities.Count; d++)
            {
                float p = m.Prediction.Probabilities[d];
                string kind = d == m.Label ? " true" : d == m.Prediction.Digit ? " pred" : "";
                html.Append(Invariant($"<span>{d}</span><div class=\"bar{kind}\" style=\"width:{Math.Max(p * 100, 0.5):F1}%\"></div><span>{p * 100:F1}%</span>"));
            }
            html.Append("</div></div>\n");
        }
        return html.Append("</div>\n</body></html>\n").ToString();
    }

    /// <summary>The confusion matrix as an SVG grid, each cell shaded by its share of the row.</summary>
    private static string HeatMap(EvaluationResult r)
    {
        const int cell = 44, margin = 40;
        int size = margin + r.Classes * cell;
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{size + 10}\" height=\"{size + 10}\" font-size=\"12\" font-family=\"sans-serif\">\n"));
        svg.Append(Invariant($"<text x=\"{margin + r.Classes * cell / 2}\" y=\"12\" text-anchor=\"middle\">predicted</text>\n"));
        svg.Append(Invariant($"<text x=\"10\" y=\"{margin + r.Classes * cell / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 10 {margin + r.Classes * cell / 2})\">true</text>\n"));
        for (int k = 0; k < r.Classes; k++)
        {
            svg.Append(Invariant($"<text x=\"{margin + k * cell + cell / 2}\" y=\"{margin - 8}\" text-anchor=\"middle\">{k}</text>"));
            svg.Append(Invariant($"<text x=\"{margin - 8}\" y=\"{margin + k * cell + cell / 2 + 4}\" text-anchor=\"end\">{k}</text>\n"));
        }
        for (int k = 0; k < r.Classes; k++)
        {
            int rowTotal = Math.Max(1, Enumerable.Range(0, r.Classes).Sum(j => r.Confusion(k, j)));
            for (int j = 0; j < r.Classes; j++)
            {
                int count = r.Confusion(k, j);
                // Square root so that a few mistakes already show next to a full diagonal.
                double share = Math.Sqrt((double)count / rowTotal);
                string fill = k == j
                    ? Invariant($"rgba(31,119,180,{share:F3})")
                    : Invariant($"rgba(214,39,40,{Math.Min(1, share * 1.5):F3})");
                string ink = share > 0.6 ? "white" : "#222";
                svg.Append(Invariant($"<rect x=\"{margin + j * cell}\" y=\"{margin + k * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{fill}\" stroke=\"#eee\"><title>true {k}, predicted {j}: {count}</title></rect>"));
                svg.Append(Invariant($"<text x=\"{margin + j * cell + cell / 2}\" y=\"{margin + k * cell + cell / 2 + 4}\" text-anchor=\"middle\" fill=\"{ink}\">{count}</text>\n"));
            }
        }
        return svg.Append("</svg>\n").ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
