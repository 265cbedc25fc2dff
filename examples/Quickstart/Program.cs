// Quickstart: the bitmapist README's questions, answered on the embedded store (no server needed).
// Run: dotnet run --project examples/Quickstart
using System.Diagnostics;
using Bitmapist.Linq;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Sample;
using Bitmapist.Linq.Stores;

var clock = Stopwatch.StartNew();
await using var store = await EmbeddedStore.WithSampleDataAsync(new SampleDataOptions(Users: 200_000, Days: 120));
Console.WriteLine($"Loaded the sample: 200,000 users over 120 days ending today, {store.KeyCount} keys, " +
                  $"{store.MemoryBytes / 1024.0 / 1024.0:F1} MiB, in {clock.ElapsedMilliseconds} ms.\n");

// Mark some events: user 123 was active and played a song just now.
await store.MarkAsync("active", 123);
await store.MarkAsync("song:played", 123);
await store.MarkUniqueAsync("premium", 123);

Events.DefaultStore = store; // the static entry points (bitmapist's "default system") use this store

var activeThisMonth = Events.Month("active");
var playedThisWeek = store.Week("song:played");

Console.WriteLine($"Was user 123 active this month?              {await activeThisMonth.ContainsAsync(123)}");
Console.WriteLine($"Was user 9,999,999 active this month?        {await activeThisMonth.ContainsAsync(9_999_999)}");
Console.WriteLine($"How many users were active this month?       {await activeThisMonth.CountAsync():N0}");
Console.WriteLine($"How many played a song this week?            {await playedThisWeek.CountAsync():N0}");
// The same question written as LINQ: one plan, one batch.
var listeners = Events.Month("active").Where(u => Events.Week("song:played").Contains(u));
Console.WriteLine($"Active this month AND played this week?      {listeners.Count():N0}");
Console.WriteLine($"Active this month but no song this week?     {await Events.Month("active").Where(u => !playedThisWeek.Contains(u)).CountAsync():N0}");
var premiumToday = from u in Events.Day("active") where Events.Unique("premium").Contains(u) select u;
Console.WriteLine($"Premium users active today?                  {await premiumToday.CountAsync():N0}");

var lastMonth = Events.Month("active").Previous();
var lastMonthCount = await lastMonth.CountAsync();
var stillActive = await lastMonth.Where(u => activeThisMonth.Contains(u)).CountAsync();
Console.WriteLine($"Active last month:                           {lastMonthCount:N0}");
Console.WriteLine($"...of whom still active this month:          {stillActive:N0} ({100.0 * stillActive / Math.Max(1, lastMonthCount):F1}%)");

Console.Write("First 10 users active today:                 ");
Console.WriteLine(string.Join(", ", await Events.Day("active").Take(10).ToListAsync()));

// Series in one batch each: rolling weekly actives per day with their share of the month's (stickiness), and a funnel.
var sticky = await Events.Trend(p => Events.At("active", p)).ByDay().Rows(7).Window(7).Of(p => Events.At("active", p), PeriodUnit.Month).RunAsync();
Console.WriteLine("\nRolling 7-day actives, last 7 days, as a share of the month's actives:");
foreach (var row in sticky.Rows) Console.WriteLine($"  {row.Label}  {row.Count,7:N0} of {row.Whole,7:N0}  {row.Percent,6:F2}%");
var funnel = await Events.Funnel(p => Events.At("signup", p), p => Events.At("active", p), p => Events.At("song:played", p)).ByWeek().Rows(1).Within(2).RunAsync();
Console.WriteLine($"This week's signups -> active -> played a song: {string.Join(" -> ", funnel.Rows[0].Counts.Select(c => c.ToString("N0")))}");

Console.WriteLine("\nHow 'active this month, no song this week' runs (ToPlanString):\n");
Console.WriteLine(Events.Month("active").Where(u => !Events.Week("song:played").Contains(u)).ToPlanString());
