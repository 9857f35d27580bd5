// The package's entry point: load a digit model (the embedded one by default) and recognise digits in
// images, streams, files or ready-made 28x28 pixels, one at a time or batched into one inference.
using Mnist.ML.Imaging;
using Mnist.ML.Onnx;

namespace Mnist.ML;

/// <summary>
/// Recognises handwritten digits. Load a model once with <see cref="Load(MnistPredictorOptions?)"/>
/// (the model shipped in the package) or <see cref="Load(string, MnistPredictorOptions?)"/>, then call
/// <see cref="Predict(string)"/>, <see cref="Predict(Stream)"/>, <see cref="Predict(byte[])"/> or
/// <see cref="PredictBatch(IEnumerable{byte[]})"/>.
/// </summary>
/// <remarks>
/// <para>Thread-safe: one instance may serve any number of threads at once (register it as a singleton);
/// every call uses its own buffers. It holds no unmanaged resources and needs no disposal.</para>
/// <para>Images (PNG, JPEG, BMP, GIF) go through <see cref="MnistPreprocessor"/> — polarity, crop,
/// scale to 20 px, centre by mass in 28x28 — then the model; the probabilities are the softmax of the
/// model's logits (max subtracted first). A model that also outputs probabilities is still read
/// through its logits, so every model is post-processed the same way.</para>
/// <para>Errors: <see cref="ImageFormatException"/> (corrupt or truncated image),
/// <see cref="UnsupportedImageException"/> (unknown format or over <see cref="MnistPredictorOptions.ImageLimits"/>),
/// <see cref="NoInkException"/> (blank image: no digit to recognise), <see cref="OnnxModelException"/>
/// (at load: a file that is not valid ONNX, or a model that is not a [N,1,28,28] → [N,10] float classifier).</para>
/// </remarks>
public sealed class MnistPredictor
{
    /// <summary>Manifest resource names of the model embedded in the package and its model card.</summary>
    internal const string EmbeddedModelResource = "Mnist.ML.Models.mnist-cnn.onnx";
    internal const string EmbeddedCardResource = "Mnist.ML.Models.mnist-cnn.json";

    private readonly DigitModel _model;

    private MnistPredictor(DigitModel model, string source, MnistPredictorOptions options)
    {
        _model = model;
        Options = options;
        Model = new ModelInfo(model.Onnx, source, model.InputName, model.OutputName);
    }

    /// <summary>The model card and ONNX facts of the loaded model.</summary>
    public ModelInfo Model { get; }

    /// <summary>The options this predictor was loaded with.</summary>
    public MnistPredictorOptions Options { get; }

    /// <summary>Loads the model shipped inside the Mnist.ML package (a CNN trained on MNIST; see <see cref="Model"/>).</summary>
    /// <exception cref="InvalidOperationException">This build of the package carries no model.</exception>
    public static MnistPredictor Load(MnistPredictorOptions? options = null)
    {
        using Stream? stream = typeof(MnistPredictor).Assembly.GetManifestResourceStream(EmbeddedModelResource);
        if (stream is null)
        {
            throw new InvalidOperationException(
                "This build of Mnist.ML was built without an embedded model (models/mnist-cnn.onnx was missing when it was packed). Use MnistPredictor.Load(path) with a trained .onnx file, or a Mnist.ML package that ships one.");
        }
        return Create(OnnxModel.Load(stream), "embedded", options);
    }

    /// <summary>Loads a digit model from an .onnx file: one float input [N,1,28,28] (pixels 0..1, ink bright), a float output [N,10].</summary>
    /// <exception cref="OnnxModelException">The file is not valid ONNX, uses something the executor does not support, or is not a 28x28 digit classifier.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static MnistPredictor Load(string modelPath, MnistPredictorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return Create(OnnxModel.Load(modelPath), modelPath, options);
    }

    /// <summary>Loads a digit model from a stream holding an .onnx file (read to its end; not closed).</summary>
    /// <exception cref="OnnxModelException">The data is not valid ONNX, uses something the executor does not support, or is not a 28x28 digit classifier.</exception>
    public static MnistPredictor Load(Stream model, MnistPredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Create(OnnxModel.Load(model), "stream", options);
    }

    /// <summary>Recognises the digit in an encoded image (PNG, JPEG, BMP or GIF; the format is read from the bytes).</summary>
    /// <exception cref="ImageFormatException">The image is corrupt or truncated.</exception>
    /// <exception cref="UnsupportedImageException">Unknown format, unsupported variant, or over <see cref="MnistPredictorOptions.ImageLimits"/>.</exception>
    /// <exception cref="NoInkException">The image is blank.</exception>
    public Prediction Predict(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Predict(MnistPreprocessor.Preprocess(image, Options.ImageLimits));
    }

    /// <summary>Recognises the digit in an encoded image read from a stream (to its end, at most ImageLimits.MaxBytes; not closed).</summary>
    /// <inheritdoc cref="Predict(byte[])"/>
    public Prediction Predict(Stream image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Predict(MnistPreprocessor.Preprocess(image, Options.ImageLimits));
    }

    /// <summary>Recognises the digit in an image file.</summary>
    /// <inheritdoc cref="Predict(byte[])"/>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public Prediction Predict(string imagePath) => Predict(ReadFile(imagePath));

    /// <summary>
    /// Recognises a digit given as 784 pixels already in MNIST's convention (28x28 row-major, 0..1,
    /// ink bright on black) — raw MNIST data scaled by 1/255. The pixels go to the model untouched.
    /// </summary>
    /// <exception cref="ArgumentException">Not 784 values, or a value outside 0..1.</exception>
    /// <exception cref="NoInkException">Every pixel is 0.</exception>
    public Prediction Predict(ReadOnlySpan<float> pixels) => Predict(MnistPreprocessor.FromPixels(pixels));

    /// <summary>Recognises a digit that <see cref="MnistPreprocessor"/> has already prepared.</summary>
    /// <exception cref="NoInkException">The digit has no ink (<see cref="PreprocessedDigit.HasInk"/> is false).</exception>
    public Prediction Predict(PreprocessedDigit digit) => PredictBatch([digit], single: true)[0];

    /// <summary>Reads an encoded image from a stream asynchronously, then recognises the digit in it.</summary>
    /// <inheritdoc cref="Predict(byte[])"/>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public async Task<Prediction> PredictAsync(Stream image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        byte[] bytes = await ReadLimitedAsync(image, Options.ImageLimits.MaxBytes, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return Predict(bytes);
    }

    /// <summary>Reads an image file asynchronously, then recognises the digit in it.</summary>
    /// <inheritdoc cref="PredictAsync(Stream, CancellationToken)"/>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public async Task<Prediction> PredictAsync(string imagePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        await using var file = new FileStream(imagePath, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous | FileOptions.SequentialScan);
        CheckFileSize(imagePath, file.Length);
        return await PredictAsync(file, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Recognises the digits in several encoded images with one batched inference (chunks of
    /// <see cref="MnistPredictorOptions.MaxBatchSize"/>). Results are in input order. All or nothing:
    /// the first image that fails throws, and <see cref="NoInkException.BatchIndex"/> names a blank one.
    /// </summary>
    /// <inheritdoc cref="Predict(byte[])"/>
    public IReadOnlyList<Prediction> PredictBatch(IEnumerable<byte[]> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        return PredictBatch(images.Select(image => MnistPreprocessor.Preprocess(image ?? throw new ArgumentException("The batch holds a null image.", nameof(images)), Options.ImageLimits)).ToList(), single: false);
    }

    /// <summary>Recognises the digits in several image files with one batched inference; see <see cref="PredictBatch(IEnumerable{byte[]})"/>.</summary>
    /// <inheritdoc cref="Predict(string)"/>
    public IReadOnlyList<Prediction> PredictBatch(IEnumerable<string> imagePaths)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        return PredictBatch(imagePaths.Select(ReadFile));
    }

    /// <summary>Recognises already-prepared digits with one batched inference; see <see cref="PredictBatch(IEnumerable{byte[]})"/>.</summary>
    /// <exception cref="NoInkException">A digit has no ink.</exception>
    public IReadOnlyList<Prediction> PredictBatch(IEnumerable<PreprocessedDigit> digits)
    {
        ArgumentNullException.ThrowIfNull(digits);
        return PredictBatch(digits.Select(d => d ?? throw new ArgumentException("The batch holds a null digit.", nameof(digits))).ToList(), single: false);
    }

    /// <summary>
    /// Recognises <paramref name="count"/> digits given as consecutive 28x28 MNIST-convention images
    /// (count x 784 floats, 0..1, ink bright) with one batched inference; the pixels go to the model untouched.
    /// </summary>
    /// <exception cref="ArgumentException">pixels does not hold count x 784 values, or a value is outside 0..1.</exception>
    /// <exception cref="NoInkException">An image is all 0.</exception>
    public IReadOnlyList<Prediction> PredictBatch(ReadOnlySpan<float> pixels, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (pixels.Length != count * DigitModel.Pixels)
        {
            throw new ArgumentException($"Expected {count} x 784 = {(long)count * DigitModel.Pixels} values, got {pixels.Length}.", nameof(pixels));
        }
        var digits = new List<PreprocessedDigit>(count);
        for (int i = 0; i < count; i++)
        {
            digits.Add(MnistPreprocessor.FromPixels(pixels.Slice(i * DigitModel.Pixels, DigitModel.Pixels)));
        }
        return PredictBatch(digits, single: false);
    }

    private static MnistPredictor Create(OnnxModel model, string source, MnistPredictorOptions? options) =>
        new(DigitModel.Create(model), source, options ?? MnistPredictorOptions.Default);

    private Prediction[] PredictBatch(List<PreprocessedDigit> digits, bool single)
    {
        var input = new float[digits.Count * DigitModel.Pixels]; // (N, 1, 28, 28)
        for (int i = 0; i < digits.Count; i++)
        {
            if (!digits[i].HasInk)
            {
                throw new NoInkException(single ? null : i);
            }
            digits[i].Pixels.CopyTo(input.AsSpan(i * DigitModel.Pixels));
        }
        float[] probabilities = _model.Run(input, digits.Count, Options.MaxBatchSize); // (N, 10)
        var results = new Prediction[digits.Count];
        for (int i = 0; i < results.Length; i++)
        {
            results[i] = new Prediction(probabilities.AsSpan(i * DigitModel.Classes, DigitModel.Classes).ToArray(), digits[i], Options.MinimumConfidence);
        }
        return results;
    }

    private byte[] ReadFile(string imagePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagePath);
        using var file = new FileStream(imagePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        CheckFileSize(imagePath, file.Length);
        var bytes = new byte[file.Length];
        file.ReadExactly(bytes);
        return bytes;
    }

    private void CheckFileSize(string imagePath, long length)
    {
        if (length > Options.ImageLimits.MaxBytes)
        {
            throw new UnsupportedImageException(
                $"Image file '{imagePath}' is {length:N0} bytes, over the limit of {Options.ImageLimits.MaxBytes:N0} bytes. Shrink it or raise MnistPredictorOptions.ImageLimits.MaxBytes.");
        }
    }

    /// <summary>Reads the stream to its end but stops one chunk past the limit, so a huge upload is refused without buffering it all.</summary>
    private static async Task<byte[]> ReadLimitedAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                throw new UnsupportedImageException(
                    $"Image is larger than the limit of {maxBytes:N0} bytes. Shrink it or raise MnistPredictorOptions.ImageLimits.MaxBytes.");
            }
        }
        return buffer.ToArray();
    }
}
