// Shows a training run: at a terminal a progress bar redrawn in place (images/s, loss, ETA of the
// epoch); in a log a plain line every quarter epoch. Each finished epoch becomes a table row.
using System.Diagnostics;
using System.Globalization;
using Mnist.ML.Cli.Reports;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Cli.Output;

/// <summary>
/// Receives the trainer's reports synchronously on the training thread (unlike Progress&lt;T&gt;,
/// which would post them to the thread pool out of order).
/// </summary>
internal sealed class TrainingProgressView(TextWriter output, bool interactive, Action<EpochMetrics> epochDone) : IProgress<TrainingProgress>
{
    private const int BarWidth = 24;
    private readonly Stopwatch _epochClock = new();
    private readonly Stopwatch _redrawClock = Stopwatch.StartNew();
    private int _epoch = -1;
    private int _lastQuarter;
    private bool _lineOpen;
    private bool _headerWritten;

    public const string TableHeader = "epoch   train loss  train acc   val loss    val acc      time";

    public void Report(TrainingProgress value)
    {
        if (value.Epoch != _epoch)
        {
            _epoch = value.Epoch;
            _epochClock.Restart();
            _lastQuarter = 0;
        }
        if (!_headerWritten)
        {
            output.WriteLine(TableHeader);
            _headerWritten = true;
        }
        if (value.Kind == TrainingProgressKind.Batch)
        {
            ShowBatch(value);
            return;
        }
        var metrics = EpochMetrics.From(value, _epochClock.Elapsed);
        ClearLine();
        output.WriteLine(Row(metrics, value.Epochs));
        output.Flush();
        epochDone(metrics);
    }

    /// <summary>Ends a progress line left open (e.g. when training is cancelled mid-epoch).</summary>
    public void Close() => ClearLine();

    /// <summary>A row of the epoch table, aligned with <see cref="TableHeader"/>.</summary>
    public static string Row(EpochMetrics m, int epochs) => string.Create(CultureInfo.InvariantCulture,
        $"{m.Epoch + "/" + epochs,-7}{m.TrainLoss,11:F4}{m.TrainAccuracy * 100,10:F2}%{Optional(m.ValidationLoss, "F4", 1),11}{Optional(m.ValidationAccuracy, "F2", 100),10}{(m.ValidationAccuracy is null ? " " : "%")}{m.Seconds,9:F1} s");

    private static string Optional(double? value, string format, double scale) =>
        value is { } v ? (v * scale).ToString(format, CultureInfo.InvariantCulture) : "-";

    private void ShowBatch(TrainingProgress p)
    {
        double perBatch = _epochClock.Elapsed.TotalSeconds / p.Batch;
        var eta = TimeSpan.FromSeconds(Math.Round(perBatch * (p.Batches - p.Batch)));
        string numbers = string.Create(CultureInfo.InvariantCulture,
            $"{p.ImagesPerSecond,6:F0} img/s  loss {p.Loss:F4}  acc {p.Accuracy * 100:F1}%  ETA {eta:m\\:ss}");
        if (interactive)
        {
            // Redraw at most ~10 times a second; the console is slower than the trainer.
            if (p.Batch != p.Batches && _redrawClock.ElapsedMilliseconds < 100)
            {
                return;
            }
            _redrawClock.Restart();
            int filled = p.Batch * BarWidth / p.Batches;
            output.Write($"\r{p.Epoch + "/" + p.Epochs,-7}[{new string('#', filled)}{new string('.', BarWidth - filled)}] {numbers}\u001b[K");
            output.Flush();
            _lineOpen = true;
            return;
        }
        int quarter = p.Batch * 4 / p.Batches;
        if (quarter > _lastQuarter && quarter < 4)
        {
            _lastQuarter = quarter;
            output.WriteLine($"{p.Epoch + "/" + p.Epochs,-7}{quarter * 25,3}%  {numbers}");
        }
    }

    private void ClearLine()
    {
        if (_lineOpen)
        {
            output.Write("\r\u001b[K");
            _lineOpen = false;
        }
    }
}
