// ConfigQueries: named text queries in appsettings.json, checked at start-up and run from code.
// Run: dotnet run --project examples/ConfigQueries
// Try a typo in appsettings.json (bin/.../appsettings.json, or here and run again): start-up stops and names the query.
using Bitmapist.Linq;
using Bitmapist.Linq.Hosting;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args,
    ContentRootPath = AppContext.BaseDirectory, // appsettings.json is copied next to the program
});
builder.Services.AddBitmapist(builder.Configuration.GetSection("Bitmapist"));

using var host = builder.Build();
NamedQueries queries;
try
{
    // Checks the whole Bitmapist section (every problem at once), opens the store (here: the built-in sample
    // data, in memory) and parses and plans every named query. Resolving it before StartAsync reports a bad
    // setting as one clear message, before the host would log it with a stack trace as a failed start.
    queries = host.Services.GetRequiredService<NamedQueries>();
    await host.StartAsync();
}
catch (Exception e) when (e is BitmapistConfigurationException or BitmapistStoreException)
{
    Console.Error.WriteLine(e.Message); // a bad setting names itself; a store that cannot be reached says where
    return 1;
}

var store = host.Services.GetRequiredService<BitmapStore>();
Console.WriteLine($"{queries.Names.Count} named queries from appsettings.json, on the sample data ending {store.Now:yyyy-MM-dd}:\n");

foreach (var name in queries.Names)
{
    var query = queries[name];
    if (query.Parameters.Length > 0) continue; // run below, with their parameters
    var result = await queries.RunAsync(name);
    Console.WriteLine($"{name,-26} {result,-30} {query}");
}

// A trend is a table, one row per period: TrendAsync returns it (RunAsync above printed it in one line).
var trend = await queries.TrendAsync("dailyActiveShareOfMonth");
Console.WriteLine($"\n{"dailyActiveShareOfMonth",-26} {"day",-12} {"active",8} {"of month",9} {"share",7}");
foreach (var row in trend.Rows)
    Console.WriteLine($"{"",-26} {row.Label,-12} {row.Count,8} {row.Whole,9} {row.Percent,7:F1}");

// A query with a parameter: the text says @cohort, the code gives the set.
var lastMonthSignups = store.Month("signup").Previous();
var share = await queries.PercentAsync("cohortActiveThisMonth", new { cohort = lastMonthSignups });
Console.WriteLine($"\n{"cohortActiveThisMonth",-26} {share,-30:F1} with @cohort = {lastMonthSignups.ToSetExpr()}");
var thisMonthSignups = store.Month("signup");
var dictionary = new Dictionary<string, Bitmapist.Linq.Query.SetExpr> { ["cohort"] = thisMonthSignups.ToSetExpr() };
share = await queries.PercentAsync("cohortActiveThisMonth", dictionary);
Console.WriteLine($"{"cohortActiveThisMonth",-26} {share,-30:F1} with @cohort = {thisMonthSignups.ToSetExpr()}");

// Forgetting a parameter is a clear error, not a silent zero.
try
{
    await queries.PercentAsync("cohortActiveThisMonth");
}
catch (BitmapistQueryException e)
{
    Console.WriteLine($"\nWithout @cohort: {e.Message}");
}

await host.StopAsync();
return 0;
