using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Sample;

/// <summary>Shape of the generated sample.</summary>
/// <param name="Users">Users who sign up over the window (ids 1..Users).</param>
/// <param name="Days">Length of the window in days, ending on <paramref name="End"/>.</param>
/// <param name="End">Last day of the window (default: today on the store's clock).</param>
/// <param name="Seed">Random seed: the same options always give the same data.</param>
public sealed record SampleDataOptions(int Users = 200_000, int Days = 120, DateTime? End = null, int Seed = 42);

/// <summary>What the generator wrote.</summary>
/// <param name="FirstDay">First day of the window.</param>
/// <param name="LastDay">Last day of the window.</param>
/// <param name="Records">Marks written (signup, active and song:played), plus premium flags.</param>
public sealed record SampleDataSummary(DateTime FirstDay, DateTime LastDay, long Records);

/// <summary>
/// A deterministic generator of realistic product events for examples, the CLI, tests and benchmarks:
/// users sign up over the window (more of them later, as a growing product), are <c>active</c> on their
/// signup day and then with a probability that decays with age (about 40% the next day, 20% after a week,
/// a long tail near 5%) scaled by a per-user engagement, until they churn for good; an active day is also a
/// <c>song:played</c> day most of the time; engaged users more often carry the <c>premium</c> unique flag.
/// Events: <c>signup</c>, <c>active</c>, <c>song:played</c>, unique <c>premium</c>.
/// </summary>
public static class SampleData
{
    /// <summary>Event names the sample uses.</summary>
    public static IReadOnlyList<string> Events { get; } = ["signup", "active", "song:played"];

    /// <summary>The sample's unique flag.</summary>
    public const string PremiumFlag = "premium";

    /// <summary>Writes the sample into <paramref name="store"/> through the bulk import path.</summary>
    public static async Task<SampleDataSummary> GenerateAsync(BitmapStore store, SampleDataOptions? options = null,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        options ??= new SampleDataOptions();
        if (options.Users < 1 || options.Days < 1) throw new ArgumentOutOfRangeException(nameof(options), "Users and Days must be positive.");
        var lastDay = (options.End ?? store.Now).Date;
        var firstDay = lastDay.AddDays(-(options.Days - 1));
        var random = new Random(options.Seed);
        var import = store.CreateBulkImport(progress);
        long records = 0;

        for (var user = 1; user <= options.Users; user++)
        {
            // Growth: signups lean towards the end of the window (density grows linearly).
            var signup = (int)(Math.Sqrt(random.NextDouble()) * options.Days);
            var engagement = Math.Exp(NextGaussian(random) * 0.6); // log-normal around 1
            var lifetime = (int)Math.Ceiling(-Math.Log(1 - random.NextDouble()) * 45 * engagement); // days until churn
            var lastActive = Math.Min(options.Days - 1, signup + lifetime);

            await import.AddAsync("signup", user, At(firstDay, signup, random), ct).ConfigureAwait(false);
            records++;
            for (var day = signup; day <= lastActive; day++)
            {
                var age = day - signup;
                var p = age == 0 ? 1.0 : Math.Min(0.95, engagement * (0.05 + 0.35 * Math.Exp(-(age - 1) / 6.0)));
                if (random.NextDouble() >= p) continue;
                var at = At(firstDay, day, random);
                await import.AddAsync("active", user, at, ct).ConfigureAwait(false);
                records++;
                if (random.NextDouble() < 0.7)
                {
                    await import.AddAsync("song:played", user, at, ct).ConfigureAwait(false);
                    records++;
                }
            }
            if (random.NextDouble() < Math.Min(0.5, 0.06 * engagement))
            {
                import.AddUnique(PremiumFlag, user);
                records++;
            }
        }
        await import.FlushAsync(ct).ConfigureAwait(false);
        return new SampleDataSummary(firstDay, lastDay, records);
    }

    private static DateTime At(DateTime firstDay, int day, Random random) =>
        firstDay.AddDays(day).AddMinutes(random.Next(0, 24 * 60));

    private static double NextGaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
