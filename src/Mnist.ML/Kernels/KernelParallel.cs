// A parallel loop for the kernels that allocates nothing once warm (Parallel.For allocates ~1-2 KB
// per call, which batch-1 inference would pay per request). The caller always works too, claiming
// parts until none are left, so a busy thread pool delays nothing: at worst the caller does every
// part itself. Parts claimed by pool threads are waited for before Run returns.
namespace Mnist.ML.Kernels;

/// <summary>One part of a parallel kernel call. Implemented by small classes the callers cache per thread.</summary>
internal interface IParallelBody
{
    void Invoke(int part, int parts);
}

internal sealed class KernelParallel : IThreadPoolWorkItem
{
    // One job per calling thread, reused when its previous call is fully over (every queued item has
    // run); otherwise (a pool thread has not yet picked up an item it no longer needs) a new one.
    [ThreadStatic] private static KernelParallel? cached;

    private readonly ManualResetEventSlim _done = new(false);
    private IParallelBody? _body;
    private int _parts, _next, _remaining, _queued;
    private bool _busy;
    private Exception? _error;

    /// <summary>Runs body.Invoke(part, parts) for every part in [0, parts), on the caller and up to parts - 1 pool threads.</summary>
    public static void Run(IParallelBody body, int parts)
    {
        if (parts <= 1)
        {
            if (parts == 1) body.Invoke(0, 1);
            return;
        }
        KernelParallel job = cached is { _busy: false } c && Volatile.Read(ref c._queued) == 0 ? c : new KernelParallel();
        cached = job;
        job._busy = true;
        job._body = body;
        job._parts = parts;
        job._next = 0;
        job._remaining = parts;
        job._error = null;
        job._done.Reset();
        job._queued = parts - 1;
        try
        {
            for (int i = 1; i < parts; i++) ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
            job.Work();
            job._done.Wait();
            if (job._error is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
        finally
        {
            job._body = null;
            job._busy = false;
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        Work();
        Interlocked.Decrement(ref _queued);
    }

    private void Work()
    {
        int part;
        while ((part = Interlocked.Increment(ref _next) - 1) < _parts)
        {
            try
            {
                _body!.Invoke(part, _parts);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
            if (Interlocked.Decrement(ref _remaining) == 0) _done.Set();
        }
    }
}
