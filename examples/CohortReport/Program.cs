// CohortReport: weekly and daily retention of the sample data, written as a self-contained HTML report.
// Run: dotnet run -c Release --project examples/CohortReport [-- report.html]
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Sample;
using Bitmapist.Linq.Stores;

var path = args.Length > 0 ? args[0] : "cohort-report.html";
Console.WriteLine("Loading the sample data (200,000 users over 120 days, in memory)...");
await using var store = await EmbeddedStore.WithSampleDataAsync(new SampleDataOptions(Users: 200_000, Days: 120));

// Templates are lambdas from a period to a set: the row's period for the cohort, row + column for the return.
var weekly = await store.Cohort(p => store.At("signup", p), p => store.At("active", p))
    .ByWeek().Rows(12).Cols(8)
    .RunAsync();
// A filter on the return: active and played a song (text: cohort signup then active & song:played by day rows 14 cols 7).
var daily = await store.Cohort(p => store.At("signup", p), p => store.At("active", p) & store.At("song:played", p))
    .ByDay().Rows(14).Cols(7)
    .RunAsync();

foreach (var table in new[] { weekly, daily })
{
    Console.WriteLine($"\n{table.Query}");
    Console.WriteLine($"{"period",-10} {"users",7}  " + string.Join(" ", Enumerable.Range(0, table.Columns).Select(t => $"{t,6}")));
    foreach (var row in table.Rows)
        Console.WriteLine($"{row.Label,-10} {row.Size,7}  " + string.Join(" ", row.Values.Select(v => $"{CohortFormat.Cell(v is { } x ? Math.Round(x, 1) : null, table.Values),6}")));
}

var page = CohortHtml.Render(weekly, new CohortHtmlOptions("Weekly retention of the sample data"));
await File.WriteAllTextAsync(path, page);
await File.WriteAllTextAsync(Path.ChangeExtension(path, ".daily.html"), CohortHtml.Render(daily, new CohortHtmlOptions("Daily retention: active and played a song")));
Console.WriteLine($"\nWrote {Path.GetFullPath(path)} and {Path.GetFullPath(Path.ChangeExtension(path, ".daily.html"))}: open them in a browser.");
Console.WriteLine("For a live report whose form runs new tables: dotnet run --project src/Bitmapist.Cli -- cohort signup then active --by week --serve 8080");
