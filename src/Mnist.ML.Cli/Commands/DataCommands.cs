// `mnist data fetch` and `mnist data info`: download MNIST and describe a folder of it.
using System.CommandLine;
using System.Globalization;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Cli.Commands;

internal static class DataCommands
{
    internal const string MirrorsVariable = "MNIST_MIRRORS";

    public static Command Build()
    {
        var data = new Command("data", "Get and inspect the MNIST data set.")
        {
            BuildFetch(),
            BuildInfo(),
        };
        MnistCli.RequireSubcommand(data, "mnist data");
        return data;
    }

    private static Option<string> DirOption() => new("--dir")
    {
        Description = "Folder holding the four MNIST IDX files.",
        DefaultValueFactory = _ => Path.Combine("data", "mnist"),
        HelpName = "folder",
    };

    private static Command BuildFetch()
    {
        Option<string> dir = DirOption();
        var command = new Command("fetch",
            "Download MNIST from the canonical mirrors (or $" + MirrorsVariable + "), verify each file's SHA-256 and store it "
            + "decompressed. Files already present and valid are kept. Offline, use scripts/fetch-mnist.sh instead.")
        {
            dir,
        };
        command.SetAction(MnistCli.Guarded(async (parse, cancellationToken) =>
        {
            string folder = parse.GetValue(dir)!;
            var options = new MnistDownloadOptions { Mirrors = MirrorsFromEnvironment() ?? MnistDownloader.DefaultMirrors };
            TextWriter output = parse.InvocationConfiguration.Output;
            await MnistDownloader.DownloadAsync(folder, options, new ConsoleProgress(output), cancellationToken).ConfigureAwait(false);
            output.WriteLine($"MNIST in {folder} (SHA-256 verified)");
            return ExitCode.Ok;
        }));
        return command;
    }

    private static Command BuildInfo()
    {
        Option<string> dir = DirOption();
        var command = new Command("info", "Show image counts, class balance and the SHA-256 of each MNIST file, and whether it matches the canonical file.")
        {
            dir,
        };
        command.SetAction(MnistCli.Guarded(async (parse, cancellationToken) =>
        {
            MnistFolderInfo info = await MnistFolderInfo.InspectAsync(parse.GetValue(dir)!, cancellationToken).ConfigureAwait(false);
            Write(info, parse.InvocationConfiguration.Output);
            return info.AllMatchCanonical ? ExitCode.Ok : ExitCode.InputError;
        }));
        return command;
    }

    /// <summary>The mirrors named in $MNIST_MIRRORS, or null when it is unset or empty.</summary>
    internal static IReadOnlyList<Uri>? MirrorsFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(MirrorsVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var mirrors = new List<Uri>();
        foreach (string part in value.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            string text = part.EndsWith('/') ? part : part + "/"; // a base URL: files are resolved under it
            if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new InvalidDataException($"{MirrorsVariable} holds '{part}', which is not an http(s) URL.");
            }
            mirrors.Add(uri);
        }
        return mirrors;
    }

    private static void Write(MnistFolderInfo info, TextWriter output)
    {
        output.WriteLine($"MNIST in {info.Directory}");
        foreach (MnistFileCheck file in info.Files)
        {
            string verdict = file.MatchesCanonical ? "matches canonical" : $"DOES NOT match canonical {file.CanonicalSha256}";
            output.WriteLine($"  {file.Name,-24} sha256 {file.Sha256}  {verdict}");
        }
        WriteSet("train", info.Train, output);
        WriteSet("test", info.Test, output);
        output.WriteLine(info.AllMatchCanonical
            ? "All four files match the canonical MNIST SHA-256."
            : "Some files differ from the canonical MNIST; rerun scripts/fetch-mnist.sh or 'mnist data fetch' to restore them.");
    }

    private static void WriteSet(string name, MnistSetInfo set, TextWriter output)
    {
        output.WriteLine($"{name}: {set.Count} images");
        for (int digit = 0; digit < set.ClassCounts.Count; digit++)
        {
            int count = set.ClassCounts[digit];
            double share = set.Count == 0 ? 0 : 100.0 * count / set.Count;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {digit}: {count,6}  {share,5:0.00}%"));
        }
    }

    /// <summary>One line per file: when it starts downloading and when it is done (no per-chunk noise in logs).</summary>
    private sealed class ConsoleProgress(TextWriter output) : IProgress<MnistDownloadProgress>
    {
        private string? _current;

        public void Report(MnistDownloadProgress value)
        {
            switch (value.State)
            {
                case MnistDownloadState.AlreadyPresent:
                    output.WriteLine($"  {value.FileName}: already present (SHA-256 verified)");
                    break;
                case MnistDownloadState.Downloading when _current != value.FileName:
                    _current = value.FileName;
                    output.WriteLine($"  {value.FileName}: downloading{(value.TotalBytes is long total ? $" {total / 1e6:0.0} MB" : "")} ...");
                    break;
                case MnistDownloadState.Completed:
                    output.WriteLine($"  {value.FileName}: done (SHA-256 verified)");
                    break;
            }
        }
    }
}
