// A small rolling-file logger (Serilog is not available): JSON lines in <folder>/mnist-server-YYYYMMDD.log,
// a new file each UTC day or past MaxFileBytes, the oldest deleted beyond RetainedFiles. Writes on a background task.
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;

namespace Mnist.ML.Server.Infrastructure;

/// <summary>Writes log entries as one JSON object per line to rolling files. Thread-safe.</summary>
public sealed class FileLoggerProvider : ILoggerProvider
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _folder;
    private readonly long _maxFileBytes;
    private readonly int _retainedFiles;
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(10_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropWrite, // never block a request on a slow disk
    });
    private readonly Task _writer;
    private StreamWriter? _file;
    private string? _filePath;
    private DateOnly _fileDay;
    private long _fileBytes;

    public FileLoggerProvider(string folder, long maxFileBytes = 10 * 1024 * 1024, int retainedFiles = 14)
    {
        _folder = Path.GetFullPath(folder);
        _maxFileBytes = maxFileBytes;
        _retainedFiles = retainedFiles;
        Directory.CreateDirectory(_folder);
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The file currently written, once the first entry has been written.</summary>
    public string? CurrentFile => _filePath;

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(5));
        _file?.Dispose();
    }

    private void Enqueue(string line) => _lines.Writer.TryWrite(line);

    private async Task WriteLoopAsync()
    {
        while (await _lines.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_lines.Reader.TryRead(out string? line))
            {
                try
                {
                    StreamWriter file = OpenFile();
                    file.WriteLine(line);
                    _fileBytes += System.Text.Encoding.UTF8.GetByteCount(line) + 1;
                }
                catch (IOException)
                {
                    // A full or read-only disk must not stop the server; the console log still has the entry.
                }
            }
            _file?.Flush();
        }
    }

    private StreamWriter OpenFile()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        if (_file is not null && _fileDay == today && _fileBytes < _maxFileBytes)
        {
            return _file;
        }
        _file?.Dispose();
        // Today's files are mnist-server-YYYYMMDD.log, then _001, _002...; continue after the last one.
        string stem = $"mnist-server-{today:yyyyMMdd}";
        int last = new DirectoryInfo(_folder).GetFiles(stem + "*.log")
            .Select(f => f.Name == stem + ".log" ? 0 : int.TryParse(f.Name.AsSpan(stem.Length + 1, 3), out int n) ? n : -1)
            .DefaultIfEmpty(-1).Max();
        int index = Math.Max(last, 0);
        string path = Path.Combine(_folder, index == 0 ? stem + ".log" : $"{stem}_{index:000}.log");
        if (File.Exists(path) && new FileInfo(path).Length >= _maxFileBytes)
        {
            path = Path.Combine(_folder, $"{stem}_{index + 1:000}.log");
        }
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        _fileBytes = stream.Length;
        _file = new StreamWriter(stream);
        _filePath = path;
        _fileDay = today;
        DeleteOldFiles();
        return _file;
    }

    private void DeleteOldFiles()
    {
        var old = new DirectoryInfo(_folder).GetFiles("mnist-server-*.log")
            .OrderByDescending(f => f.Name, StringComparer.Ordinal)
            .Skip(_retainedFiles);
        foreach (FileInfo file in old)
        {
            try
            {
                file.Delete();
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed class FileLogger(FileLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            using var buffer = new MemoryStream(256);
            using (var json = new Utf8JsonWriter(buffer, JsonOptions))
            {
                json.WriteStartObject();
                json.WriteString("time", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
                json.WriteString("level", logLevel.ToString());
                json.WriteString("category", category);
                json.WriteString("message", formatter(state, exception));
                if (state is IReadOnlyList<KeyValuePair<string, object?>> properties)
                {
                    foreach (var (key, value) in properties)
                    {
                        if (key != "{OriginalFormat}")
                        {
                            WriteValue(json, key, value);
                        }
                    }
                }
                if (exception is not null)
                {
                    json.WriteString("exception", exception.ToString());
                }
                json.WriteEndObject();
            }
            provider.Enqueue(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        }

        private static void WriteValue(Utf8JsonWriter json, string key, object? value)
        {
            switch (value)
            {
                case null:
                    json.WriteNull(key);
                    break;
                case int or long or short or byte:
                    json.WriteNumber(key, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case double or float:
                    json.WriteNumber(key, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case bool b:
                    json.WriteBoolean(key, b);
                    break;
                default:
                    json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
            }
        }
    }
}
