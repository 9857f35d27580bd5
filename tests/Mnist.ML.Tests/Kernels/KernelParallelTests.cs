// KernelParallel hands parts to spinning helper threads, or to the thread pool when every helper is
// busy: every part must run exactly once per call, whatever the mix, and errors must reach the caller.
using Mnist.ML.Kernels;

namespace Mnist.ML.Tests.Kernels;

[TestClass]
public sealed class KernelParallelTests
{
    private sealed class CountingBody(int parts) : IParallelBody
    {
        public readonly int[] Runs = new int[parts];

        public void Invoke(int part, int count)
        {
            Assert.AreEqual(Runs.Length, count);
            Thread.SpinWait(200 * (part + 1)); // uneven parts, so helpers and the caller interleave
            Interlocked.Increment(ref Runs[part]);
        }
    }

    private sealed class ThrowingBody : IParallelBody
    {
        public void Invoke(int part, int parts)
        {
            if (part == parts - 1) throw new InvalidOperationException("part failed");
        }
    }

    [TestMethod]
    public void EveryPartRunsExactlyOnceWithConcurrentCallers()
    {
        // More callers than helpers: some jobs go to the thread pool, some to helpers, some to both.
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, caller =>
        {
            for (int call = 0; call < 300; call++)
            {
                int parts = 1 + (call + caller) % 4;
                var body = new CountingBody(parts);
                KernelParallel.Run(body, parts);
                CollectionAssert.AreEqual(Enumerable.Repeat(1, parts).ToArray(), body.Runs, $"caller {caller}, call {call}");
            }
        });
    }

    [TestMethod]
    public void AnExceptionInAPartReachesTheCallerAndTheNextCallStillWorks()
    {
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => KernelParallel.Run(new ThrowingBody(), 2));
        Assert.AreEqual("part failed", error.Message);
        var body = new CountingBody(2);
        KernelParallel.Run(body, 2);
        CollectionAssert.AreEqual(new[] { 1, 1 }, body.Runs);
    }
}
