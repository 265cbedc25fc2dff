using Xunit.Abstractions;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using ServedConsole = Bitmapist.Cli.Tests.ServeTests.ServedConsole;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// The web console in headless Chromium (Debian's chromium and chromium-driver, which .ci/run installs), driven by
/// Selenium as a person would use it: type into the box, press Enter, see the result. The page runs under its strict
/// Content-Security-Policy, so the styles, the suggestions' script and the charts showing prove they need nothing
/// inline. Screenshots go to the test's artifacts folder and their paths are printed. Skipped when no Chromium is
/// installed, unless BITMAPIST_REQUIRE_BROWSER=1 (CI) makes that a failure.
/// </summary>
public sealed class ServeBrowserTests(SampleFile sample, ITestOutputHelper output) : IClassFixture<SampleFile>
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Driver = "/usr/bin/chromedriver";

    private static void RequireBrowser()
    {
        var required = Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_BROWSER") == "1";
        if (!File.Exists(Chromium) || !File.Exists(Driver))
        {
            if (required) throw new InvalidOperationException($"BITMAPIST_REQUIRE_BROWSER=1 but {Chromium} or {Driver} is missing (apt-get install chromium chromium-driver).");
            Skip.If(true, "no Chromium installed");
        }
    }

    private static ChromeDriver Browser()
    {
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    private static WebDriverWait Wait(IWebDriver driver, string message)
    {
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(60)) { Message = message };
        // Between documents, a script or a lookup may find no document to run in.
        wait.IgnoreExceptionTypes(typeof(JavaScriptException), typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait;
    }

    /// <summary>Types <paramref name="query"/> into the box, presses Enter, and returns once the answer's page has replaced this one.</summary>
    private static void Run(IWebDriver driver, string query)
    {
        var old = driver.FindElement(By.TagName("html"));
        var box = driver.FindElement(By.Id("q"));
        box.Clear();
        box.SendKeys(query + Keys.Enter);
        Wait(driver, $"the page of '{query}' never replaced the old one").Until(d =>
        {
            try
            {
                _ = old.TagName;
                return false;
            }
            catch (StaleElementReferenceException)
            {
                return ((IJavaScriptExecutor)d).ExecuteScript("return document.readyState") as string == "complete";
            }
        });
    }

    private string Screenshot(IWebDriver driver, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(path);
        new FileInfo(path).Length.ShouldBeGreaterThan(1000);
        output.WriteLine($"screenshot: {path}");
        Console.WriteLine($"screenshot: {path}");
        return path;
    }

    [SkippableFact]
    public async Task A_typed_query_shows_its_result_styled_and_the_box_suggests_completions()
    {
        RequireBrowser();
        await using var served = await ServedConsole.StartAsync("--data", sample.Path, "--now", CliHarness.Now);
        using var driver = Browser();
        driver.Navigate().GoToUrl(served.Url);
        driver.FindElements(By.CssSelector("ul.examples li")).Count.ShouldBeGreaterThan(3);

        // The suggestions come from the served script asking /complete: the policy let it run and fetch.
        var box = driver.FindElement(By.Id("q"));
        box.SendKeys("count month(ac");
        Wait(driver, "no suggestion appeared for 'count month(ac'").Until(d =>
            d.FindElements(By.CssSelector("#suggest option")).Any(o => o.GetAttribute("value") == "count month(active"));

        Run(driver, "count month(active)");
        var count = driver.FindElement(By.CssSelector("section.result table.report td")).Text;
        long.Parse(count.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        driver.FindElement(By.Id("q")).GetAttribute("value").ShouldBe("count month(active)", "the box keeps the query");

        Run(driver, "cohort signup then active by week rows 4 cols 3");
        driver.FindElements(By.CssSelector("table.cohort tbody tr")).Count.ShouldBe(5, "4 weeks and the average");
        // The stylesheet loaded under the policy: the heat map is shaded and the header has its background.
        driver.FindElement(By.CssSelector("table.cohort td.heat10")).GetCssValue("background-color").ShouldBe("rgba(31, 126, 173, 1)");
        driver.FindElement(By.TagName("header")).GetCssValue("background-color").ShouldBe("rgba(244, 247, 249, 1)");
        Screenshot(driver, "serve-cohort.png");

        // A hostile query comes back as text: no element made of it, the error shown.
        Run(driver, "<img src=x onerror=document.title='pwned'>");
        driver.Title.ShouldNotBe("pwned");
        driver.FindElement(By.CssSelector("pre.error")).Text.ShouldContain("unexpected '<'");
        driver.FindElements(By.CssSelector("main img")).ShouldBeEmpty();
    }

    [SkippableFact]
    public async Task A_trend_typed_into_the_box_is_drawn_as_a_line_and_a_funnel_as_bars()
    {
        RequireBrowser();
        await using var served = await ServedConsole.StartAsync("--data", sample.Path, "--now", CliHarness.Now);
        using var driver = Browser();
        driver.Navigate().GoToUrl(served.Url);

        Run(driver, "trend active by day rows 30 window 7");
        var line = driver.FindElement(By.CssSelector("section.result figure.chart svg.line path.series"));
        line.Displayed.ShouldBeTrue();
        var drawn = line.GetAttribute("d")!;
        drawn.Split(" L").Length.ShouldBe(30, "one point per row");
        driver.FindElements(By.CssSelector("table.trend tbody tr")).Count.ShouldBe(30);
        driver.FindElement(By.CssSelector("table.trend tbody tr td.label")).Text.ShouldBe("2026-10-30");
        var shot = Screenshot(driver, "serve-trend.png");
        File.Copy(shot, Path.Combine(Path.GetTempPath(), "bitmapist-serve-trend.png"), overwrite: true);
        output.WriteLine($"screenshot: {Path.Combine(Path.GetTempPath(), "bitmapist-serve-trend.png")}");

        // The link under the statement reproduces it: the same chart from the URL alone.
        var permalink = driver.FindElement(By.CssSelector("section.result h2 a")).GetAttribute("href")!;
        driver.Navigate().GoToUrl(permalink);
        driver.FindElement(By.CssSelector("svg.line path.series")).GetAttribute("d").ShouldBe(drawn);

        Run(driver, "funnel signup then active then song:played by day rows 7 within 3");
        var bars = driver.FindElements(By.CssSelector("svg.bars rect.bar"));
        bars.Count.ShouldBe(3, "one bar per step");
        var widths = bars.Select(b => double.Parse(b.GetAttribute("width")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        widths.ShouldBe(widths.OrderByDescending(w => w).ToList(), "a funnel never widens");
        driver.FindElement(By.CssSelector("svg.bars")).Text.ShouldContain("of the step before");
        Screenshot(driver, "serve-funnel.png");
    }
}
