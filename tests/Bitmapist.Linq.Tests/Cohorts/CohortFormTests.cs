using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;

namespace Bitmapist.Linq.Tests.Cohorts;

/// <summary>The report's form as the library draws it (reading a submission back is the CLI's: CohortFormReaderTests there).</summary>
public class CohortFormTests
{
    [Fact]
    public void The_error_page_keeps_the_form_as_typed_and_escapes_everything()
    {
        var form = new CohortForm("<b>signup</b>", "active\" onfocus=\"x", By: "week", Values: "counts");
        var page = CohortHtml.RenderError(form, "Line 1, column 9: <oops>\n    ^", new CohortHtmlOptions("Fix <me>", IncludeForm: true));
        page.ShouldContain("<title>Fix &lt;me&gt;</title>");
        page.ShouldContain("value=\"&lt;b&gt;signup&lt;/b&gt;\"");
        page.ShouldContain("value=\"active&quot; onfocus=&quot;x\"");
        page.ShouldContain("<option value=\"week\" selected>week</option>");
        page.ShouldContain("<option value=\"counts\" selected>counts</option>");
        page.ShouldContain("<pre class=\"error\" role=\"alert\">Line 1, column 9: &lt;oops&gt;\n    ^</pre>");
        page.ShouldNotContain("<table");
    }
}
