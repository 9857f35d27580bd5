// `mnist serve`: options and help. Serving needs Mnist.ML.Server; wiring pending.
using System.CommandLine;

namespace Mnist.ML.Cli.Commands;

internal static class ServeCommand
{
    public static readonly Option<string> Urls = new("--urls") { Description = "Addresses to listen on, separated by ';'.", DefaultValueFactory = _ => "http://127.0.0.1:5000", HelpName = "urls" };

    public static readonly Option<string?> Model = new("--model") { Description = "ONNX model to serve instead of the one shipped with Mnist.ML.", HelpName = "model.onnx" };

    public static Command Build()
    {
        var command = new Command("serve", "Serve the REST API and the drawing web page.") { Urls, Model };
        NotAvailable.SetAction(command, "the web server");
        return command;
    }
}
