// Whether the tool talks to a person at a terminal (live progress, redrawn lines) or to a log
// (plain lines only): redirected output and CI=true both mean a log.
namespace Mnist.ML.Cli.Output;

internal static class Terminal
{
    /// <summary>True when <paramref name="output"/> is the real console, not redirected, and not under CI.</summary>
    public static bool IsInteractive(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && !IsCi();

    private static bool IsCi() =>
        Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");
}
