using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// The HTML report opened in headless Chromium (Debian's chromium and chromium-driver, which .ci/run installs),
/// driven by Selenium: the table is there, the numbers are the table's, markup in a label shows as text, and
/// a screenshot is saved as a test artifact. Skipped when no Chromium is installed, unless
/// BITMAPIST_REQUIRE_BROWSER=1 (CI) makes that a failure.
/// </summary>
public class CohortHtmlBrowserTests(SampleFile sample) : IClassFixture<SampleFile>
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Driver = "/usr/bin/chromedriver";

    private static async Task<CohortTable> Table(string eventName)
    {
        await using var store = new EmbeddedStore(new StoreOptions
        {
            Clock = new FixedTimeProvider(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero)),
        });
        var batch = store.CreateBatch();
        foreach (var id in new long[] { 1, 2, 3, 4 }) batch.Mark(eventName, id, new DateTime(2026, 3, 1));
        foreach (var id in new long[] { 1, 2, 3 }) batch.Mark("active", id, new DateTime(2026, 3, 1));
        batch.Mark("active", 1, new DateTime(2026, 3, 2));
        batch.Mark("active", 9, new DateTime(2026, 3, 3));
        await batch.ExecuteAsync();
        var query = new CohortQuery(SetExpr.Template(eventName), SetExpr.Template("active"), PeriodUnit.Day)
        {
            Rows = 2,
            Cols = 3,
            From = PeriodRef.Of(Period.Day(2026, 3, 1)),
        };
        return await store.CohortAsync(query);
    }

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
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,800");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Submits the form and returns once the answer's page has replaced this one. Click() returns when the
    /// click is dispatched, not when the navigation it starts is done: reading right after it found the old
    /// table, or no page at all.
    /// </summary>
    private static void Submit(IWebDriver driver)
    {
        var old = driver.FindElement(By.TagName("html"));
        driver.FindElement(By.CssSelector("form button[type=submit]")).Click();
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(60)) { Message = "the submitted form's page never replaced the old one" };
        // Between documents, a script may find no document to run in.
        wait.IgnoreExceptionTypes(typeof(JavaScriptException), typeof(NoSuchElementException));
        wait.Until(d => Gone(old) && ((IJavaScriptExecutor)d).ExecuteScript("return document.readyState") as string == "complete");
    }

    private static bool Gone(IWebElement element)
    {
        try
        {
            _ = element.TagName;
            return false;
        }
        catch (StaleElementReferenceException)
        {
            return true;
        }
    }

    private static string Artifacts()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(dir);
        return dir;
    }

    [SkippableFact]
    public async Task The_served_form_submits_a_new_table_in_headless_chromium()
    {
        RequireBrowser();
        await using var served = await CohortServeTests.Served.StartAsync("cohort", "signup", "then", "active", "--by", "week", "--rows", "4", "--cols", "3",
            "--data", sample.Path, "--now", CliHarness.Now);
        using var driver = Browser();
        driver.Navigate().GoToUrl(served.Url);
        driver.FindElements(By.CssSelector("table.cohort tbody tr")).Count.ShouldBe(5, "4 weeks and the average");

        // Change the grouping, the rows and the cohort set, and submit as a person would.
        driver.FindElement(By.CssSelector("select[name=by] option[value=day]")).Click();
        var rows = driver.FindElement(By.CssSelector("input[name=rows]"));
        rows.Clear();
        rows.SendKeys("6");
        var cohort = driver.FindElement(By.CssSelector("input[name=cohort]"));
        cohort.Clear();
        cohort.SendKeys("signup & unique(premium)");
        Submit(driver);

        var table = driver.FindElements(By.CssSelector("table.cohort tbody tr"));
        table.Count.ShouldBe(7, "6 days and the average");
        driver.FindElement(By.CssSelector("code.query")).Text.ShouldBe("cohort (signup & unique(premium)) then active by day rows 6 cols 3");
        driver.FindElement(By.CssSelector("select[name=by] option[value=day]")).Selected.ShouldBeTrue();
        driver.FindElement(By.CssSelector("input[name=cohort]")).GetAttribute("value").ShouldBe("(signup & unique(premium))");
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Path.Combine(Artifacts(), "cohort-served.png"));

        // A mistake comes back with the form as typed and the error, not a blank page.
        cohort = driver.FindElement(By.CssSelector("input[name=cohort]"));
        cohort.Clear();
        cohort.SendKeys("signup &");
        Submit(driver);
        driver.FindElement(By.CssSelector("pre.error")).Text.ShouldContain("expected a set");
        driver.FindElement(By.CssSelector("input[name=cohort]")).GetAttribute("value").ShouldBe("signup &");
    }

    [SkippableFact]
    public async Task The_report_renders_in_headless_chromium_with_the_tables_numbers_and_labels_as_text()
    {
        RequireBrowser();

        const string markup = "<b>sign</b>up<script>document.title=42</script>";
        var table = await Table(markup);
        var html = CohortHtml.Render(table, new CohortHtmlOptions("Retention <i>report</i>", IncludeForm: true));
        var dir = Artifacts();
        var page = Path.Combine(dir, "cohort-report.html");
        await File.WriteAllTextAsync(page, html);

        using var driver = Browser();
        driver.Navigate().GoToUrl(new Uri(page).AbsoluteUri);

        driver.Title.ShouldBe("Retention <i>report</i>", "the title is text, and no script ran");
        var query = driver.FindElement(By.CssSelector("code.query"));
        query.Text.ShouldContain(markup, Case.Sensitive, "the event name is shown as typed");
        query.FindElements(By.TagName("b")).ShouldBeEmpty("markup in a label must not become elements");
        driver.FindElements(By.TagName("script")).ShouldBeEmpty();

        var rows = driver.FindElements(By.CssSelector("table.cohort tbody tr"));
        rows.Count.ShouldBe(table.Rows.Length + 1, "one row per period and the average row");
        for (var i = 0; i < table.Rows.Length; i++)
        {
            var cells = rows[i].FindElements(By.TagName("td")).Select(c => c.Text).ToList();
            cells[0].ShouldBe(table.Rows[i].Label);
            cells[1].ShouldBe(table.Rows[i].Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            cells.Skip(2).ShouldBe(table.Rows[i].Values.Select(v => CohortFormat.Cell(v, table.Values)));
        }
        // Mar 1: 4 signed up; 3 active that day, 1 the next, 0 of them (but someone) on Mar 3, no data on Mar 4.
        rows[0].FindElements(By.TagName("td")).Skip(1).Select(c => c.Text).ShouldBe(["4", "75", "25", "0", ""]);
        rows[^1].FindElement(By.TagName("td")).Text.ShouldBe("Average");
        driver.FindElement(By.CssSelector("form select[name=by]")).Displayed.ShouldBeTrue();

        var shot = Path.Combine(dir, "cohort-report.png");
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(shot);
        new FileInfo(shot).Length.ShouldBeGreaterThan(1000);
        Console.WriteLine($"screenshot: {shot}");
    }
}
