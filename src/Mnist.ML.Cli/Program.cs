// Entry point of the mnist tool.
return await Mnist.ML.Cli.MnistCli.RunAsync(args, Console.Out, Console.Error);
