// The action of commands whose library is not wired into this build yet.
using System.CommandLine;

namespace Mnist.ML.Cli.Commands;

internal static class NotAvailable
{
    /// <summary>Writes one line saying the command is not available yet and returns <see cref="ExitCode.NotAvailable"/>.</summary>
    public static void SetAction(Command command, string needs) =>
        command.SetAction(MnistCli.Guarded((parse, _) =>
        {
            parse.InvocationConfiguration.Error.WriteLine($"mnist: '{command.Name}' is not available yet in this build ({needs} is still being integrated).");
            return Task.FromResult(ExitCode.NotAvailable);
        }));
}
