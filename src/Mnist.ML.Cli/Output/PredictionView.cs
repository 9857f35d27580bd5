// Shows predictions: readable text (digit, confidence, a bar per class) or one JSON object per line.
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mnist.ML.Cli.Output;

internal sealed class PredictionView(TextWriter output, bool json)
{
    private const int BarWidth = 30;

    public void Write(string input, Prediction p, string? debugImage)
    {
        if (json)
        {
            WriteJson(input, w =>
            {
                w.WriteNumber("digit", p.Digit);
                w.WriteNumber("confidence", p.Confidence);
                w.WriteStartArray("probabilities");
                foreach (float probability in p.Probabilities)
                {
                    w.WriteNumberValue(probability);
                }
                w.WriteEndArray();
                if (debugImage is not null)
                {
                    w.WriteString("debugImage", debugImage);
                }
            });
            return;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{input}: {p.Digit} ({p.Confidence * 100:F1}%)"));
        for (int d = 0; d < p.Probabilities.Count; d++)
        {
            float probability = p.Probabilities[d];
            int filled = (int)Math.Round(probability * BarWidth);
            string bar = new string('#', filled) + new string(' ', BarWidth - filled);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {d} |{bar}| {probability * 100,5:F1}%{(d == p.Digit ? "  <-" : "")}"));
        }
        if (debugImage is not null)
        {
            output.WriteLine($"  model input written to {debugImage}");
        }
    }

    /// <summary>In JSON mode, the failure as an object on stdout too, so a script sees one line per input.</summary>
    public void WriteError(string input, string message)
    {
        if (json)
        {
            WriteJson(input, w => w.WriteString("error", message));
        }
    }

    private void WriteJson(string input, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("input", input);
            body(w);
            w.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
