// A failure the tool explains itself: a message for the user and the exit code it maps to.
namespace Mnist.ML.Cli.Output;

/// <summary>Thrown by command code for a failure whose message is already written for the user.</summary>
internal sealed class CliException(ExitCode code, string message, Exception? inner = null) : Exception(message, inner)
{
    public ExitCode Code { get; } = code;
}
