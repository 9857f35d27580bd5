// metrics.csv of a training run: one row per epoch, invariant culture, rewritten after every epoch
// so an interrupted run keeps the epochs it finished and a resumed run continues the same file.
using System.Globalization;
using System.Text;

namespace Mnist.ML.Cli.Reports;

internal static class MetricsCsv
{
    public const string Header = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,images_per_second,seconds";

    /// <summary>Writes all rows (atomically: a temporary file, then a rename).</summary>
    public static void Write(string path, IEnumerable<EpochMetrics> rows)
    {
        var text = new StringBuilder().Append(Header).Append('\n');
        foreach (EpochMetrics r in rows)
        {
            text.Append(string.Join(',',
                r.Epoch.ToString(CultureInfo.InvariantCulture), Number(r.TrainLoss), Number(r.TrainAccuracy),
                Number(r.ValidationLoss), Number(r.ValidationAccuracy), Number(r.LearningRate),
                r.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture), r.Seconds.ToString("F3", CultureInfo.InvariantCulture))).Append('\n');
        }
        string temp = path + ".tmp";
        File.WriteAllText(temp, text.ToString());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The rows of a file <see cref="Write"/> wrote; empty when it does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not a metrics.csv of this tool.</exception>
    public static List<EpochMetrics> Read(string path)
    {
        var rows = new List<EpochMetrics>();
        if (!File.Exists(path))
        {
            return rows;
        }
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header)
        {
            throw new InvalidDataException($"{path} is not a metrics file written by 'mnist train' (its header differs); move it away to start a new one.");
        }
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            string[] f = line.Split(',');
            try
            {
                rows.Add(new EpochMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), Parse(f[1]), Parse(f[2]),
                    Optional(f[3]), Optional(f[4]), Parse(f[5]), Parse(f[6]), Parse(f[7])));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
            {
                throw new InvalidDataException($"{path} has a malformed row '{line}'; fix or move the file.", e);
            }
        }
        return rows;
    }

    private static string Number(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static double Parse(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static double? Optional(string text) => text.Length == 0 ? null : Parse(text);
}
