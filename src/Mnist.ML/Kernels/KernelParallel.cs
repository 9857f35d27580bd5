// A parallel loop for the kernels that allocates nothing once warm (Parallel.For allocates ~1-2 KB
// per call, which batch-1 inference would pay per request). The caller always works too, claiming
// parts until none are left, so a busy helper delays nothing: at worst the caller does every part
// itself. Parts claimed by helpers are waited for before Run returns.
//
// Helpers: ProcessorCount - 1 dedicated background threads that, after a job, spin for a short while
// (SpinMicroseconds) before sleeping, as OpenMP and ONNX Runtime's pools do. Waking a sleeping thread
// (a thread-pool worker included) took 50-100 us on this virtualised machine, as long as a whole
// batch-1 convolution: with plain thread-pool items, cnn3's conv3 ran slower on two threads than on one
// (106 vs 99 us) because the second thread was rarely awake in time. A job that finds no idle helper
// goes to the thread pool instead, so concurrent callers (a busy server) never wait for a helper.
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
            for (int i = 1; i < parts; i++)
            {
                if (!Helper.TryOffer(job)) ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
            }
            job.Work();
            // The helpers' parts are usually a few microseconds from done: spin before blocking, since a
            // blocked caller is as slow to wake as a sleeping helper.
            if (Volatile.Read(ref job._remaining) != 0)
            {
                long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                var spinner = new SpinWait();
                while (Volatile.Read(ref job._remaining) != 0 && System.Diagnostics.Stopwatch.GetTimestamp() < deadline) spinner.SpinOnce(sleep1Threshold: -1);
            }
            job._done.Wait();
            if (job._error is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
        finally
        {
            job._body = null;
            job._busy = false;
        }
    }

    /// <summary>
    /// This thread's reusable instance of a body class (the callers' per-call state), so a threaded
    /// kernel call allocates nothing once warm; give it back with <see cref="RunAndReturn"/>. A nested
    /// call on the same thread (none today) finds the cache empty and gets a new one.
    /// </summary>
    public static T Rent<T>() where T : class, IParallelBody, new() => BodyCache<T>.TakeOrNull() ?? new T();

    /// <summary><see cref="Run"/>, then the body goes back to this thread's cache (also when a part throws).</summary>
    public static void RunAndReturn<T>(T body, int parts) where T : class, IParallelBody, new()
    {
        try
        {
            Run(body, parts);
        }
        finally
        {
            BodyCache<T>.Put(body);
        }
    }

    private static class BodyCache<T> where T : class
    {
        [ThreadStatic] private static T? cached;

        public static T? TakeOrNull()
        {
            T? body = cached;
            cached = null;
            return body;
        }

        public static void Put(T body) => cached = body;
    }

    void IThreadPoolWorkItem.Execute()
    {
        Work();
        Interlocked.Decrement(ref _queued);
    }

    /// <summary>How long helpers (after a job) and callers (waiting for helpers) spin before blocking.</summary>
    private const int SpinMicroseconds = 200;
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    /// <summary>A dedicated worker: takes one offered job at a time, spins for SpinMicroseconds after it, then sleeps until offered another.</summary>
    private sealed class Helper
    {
        private static readonly Lazy<Helper[]> all = new(() =>
            [.. Enumerable.Range(0, Math.Max(0, Environment.ProcessorCount - 1)).Select(i => new Helper(i))]);

        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        private KernelParallel? _job;
        private int _sleeping;

        private Helper(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Mnist.ML kernel helper {index}" };
            thread.Start();
        }

        /// <summary>Hands the job to an idle helper; false when all are busy.</summary>
        public static bool TryOffer(KernelParallel job)
        {
            foreach (Helper helper in all.Value)
            {
                if (Interlocked.CompareExchange(ref helper._job, job, null) != null) continue;
                // Full fence (the exchange) before reading _sleeping; the helper fences before re-reading _job.
                if (Volatile.Read(ref helper._sleeping) != 0) helper._wake.Set();
                return true;
            }
            return false;
        }

        private void Loop()
        {
            long idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
            var spinner = new SpinWait();
            while (true)
            {
                KernelParallel? job = Volatile.Read(ref _job);
                if (job != null)
                {
                    job.Work();
                    Interlocked.Decrement(ref job._queued);
                    Volatile.Write(ref _job, null);
                    idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
                    spinner.Reset();
                    continue;
                }
                if (System.Diagnostics.Stopwatch.GetTimestamp() - idleSince < SpinTicks)
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                    continue;
                }
                _wake.Reset();
                Interlocked.Exchange(ref _sleeping, 1);
                if (Volatile.Read(ref _job) == null) _wake.Wait();
                Interlocked.Exchange(ref _sleeping, 0);
                idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
                spinner.Reset();
            }
        }
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
