// services.AddMnistPredictor: one lazily loaded singleton, with the options and model given.
using Microsoft.Extensions.DependencyInjection;

namespace Mnist.ML.Tests.DependencyInjection;

[TestClass]
public sealed class MnistPredictorServiceCollectionExtensionsTests
{
    [TestMethod]
    public void AddMnistPredictor_WithAPath_RegistersOneSingletonWithTheOptions()
    {
        var options = new MnistPredictorOptions { MinimumConfidence = 0.5f };
        string model = PredictorFixtures.Model("fixed_batch");
        using ServiceProvider provider = new ServiceCollection().AddMnistPredictor(model, options).BuildServiceProvider();
        var first = provider.GetRequiredService<MnistPredictor>();
        Assert.AreSame(first, provider.GetRequiredService<MnistPredictor>());
        using (var scope = provider.CreateScope())
        {
            Assert.AreSame(first, scope.ServiceProvider.GetRequiredService<MnistPredictor>());
        }
        Assert.AreSame(options, first.Options);
        Assert.AreEqual(model, first.Model.Source);
    }

    [TestMethod]
    public void AddMnistPredictor_LoadsOnFirstResolution_AndKeepsTheFirstRegistration()
    {
        int loads = 0;
        var services = new ServiceCollection()
            .AddMnistPredictor(_ => { loads++; return MnistPredictor.Load(PredictorFixtures.Model("fixed_batch")); })
            .AddMnistPredictor(PredictorFixtures.Model("probabilities_only"));
        Assert.HasCount(1, services);
        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.AreEqual(0, loads);
        Assert.AreEqual(PredictorFixtures.Model("fixed_batch"), provider.GetRequiredService<MnistPredictor>().Model.Source);
        Assert.AreEqual(1, loads);
    }

    [TestMethod]
    public void AddMnistPredictor_WithoutArguments_ServesTheEmbeddedModel()
    {
        using ServiceProvider provider = new ServiceCollection().AddMnistPredictor().BuildServiceProvider();
        Assert.AreEqual("embedded", provider.GetRequiredService<MnistPredictor>().Model.Source);
    }
}
