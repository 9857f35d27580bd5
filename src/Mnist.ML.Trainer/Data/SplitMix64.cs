// A tiny, fully specified PRNG so that shuffles and splits are identical on every .NET version and
// machine (System.Random(seed) makes no such promise across versions).
namespace Mnist.ML.Trainer.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014):
/// state += 0x9E3779B97F4A7C15, then the state is mixed by two xor-shift-multiply rounds. Bounded
/// integers use Lemire's multiply-shift with rejection ("Fast random integer generation in an
/// interval", 2019), so they are unbiased. Not thread-safe (a mutable struct).
/// </summary>
internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, bound).</summary>
    public ulong NextBelow(ulong bound)
    {
        ArgumentOutOfRangeException.ThrowIfZero(bound);
        UInt128 m = (UInt128)Next() * bound;
        ulong low = (ulong)m;
        if (low < bound)
        {
            ulong threshold = (0UL - bound) % bound;
            while (low < threshold)
            {
                m = (UInt128)Next() * bound;
                low = (ulong)m;
            }
        }
        return (ulong)(m >> 64);
    }
}
