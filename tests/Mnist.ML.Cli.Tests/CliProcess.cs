// Starts the built mnist tool as a child process (`dotnet Mnist.ML.Cli.dll args`) and captures
// its exit code, stdout and stderr.
using System.Diagnostics;
using Mnist.ML.Testing;

namespace Mnist.ML.Cli.Tests;

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

internal static class CliProcess
{
    /// <summary>src/Mnist.ML.Cli/bin/{this test's configuration}/net10.0/Mnist.ML.Cli.dll.</summary>
    public static string CliDll { get; } = FindCliDll();

    /// <param name="args">Command-line arguments after the dll.</param>
    /// <param name="environment">Variables to set for the child (MNIST_MIRRORS is always cleared first).</param>
    /// <param name="whileRunning">Called with the child's process id once it started, e.g. to signal it.</param>
    public static Task<CliResult> RunAsync(string[] args, IDictionary<string, string>? environment = null, Func<int, Task>? whileRunning = null) =>
        RunCommandAsync(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", [CliDll, .. args], environment, whileRunning);

    /// <summary>Runs <paramref name="command"/> (e.g. a wrapper around the tool) the way <see cref="RunAsync"/> runs the tool.</summary>
    public static async Task<CliResult> RunCommandAsync(string command, string[] args, IDictionary<string, string>? environment = null, Func<int, Task>? whileRunning = null)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Remove("MNIST_MIRRORS");
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (whileRunning != null)
        {
            await whileRunning(process.Id);
        }
        // A guard against a hung CLI, not a timing assertion: generous for a loaded 2-core machine.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new AssertFailedException($"mnist {string.Join(' ', args)} did not exit within 3 minutes.");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Sends Ctrl+C (SIGINT) to the process <paramref name="pid"/>, as a terminal would.</summary>
    public static async Task InterruptAsync(int pid)
    {
        using var kill = Process.Start("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    /// <summary>Runs /usr/bin/python3 -c <paramref name="script"/> with <paramref name="args"/>; fails the test with its stderr when it fails.</summary>
    public static void RunPython(string script, params string[] args)
    {
        var start = new ProcessStartInfo(TestPaths.SystemPython) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-c", script }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }
        using var python = Process.Start(start)!;
        string error = python.StandardError.ReadToEnd();
        python.WaitForExit();
        Assert.AreEqual(0, python.ExitCode, "python3 failed (python3-pil missing? scripts/install-test-deps.sh installs it): " + error);
    }

    private static string FindCliDll()
    {
        // AppContext.BaseDirectory is tests/Mnist.ML.Cli.Tests/bin/<Configuration>/<tfm>/.
        var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = tfm.Parent!.Name;
        string dll = Path.Combine(TestPaths.RepoRoot, "src", "Mnist.ML.Cli", "bin", configuration, tfm.Name, "Mnist.ML.Cli.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} not found; build src/Mnist.ML.Cli ({configuration}) first (building this test project does).");
        }
        return dll;
    }
}
