using System.Globalization;
using System.Text;
using Bitmapist.Linq.Trends.Rendering;

namespace Bitmapist.Cli.Serve;

/// <summary>
/// The console's two assets, served by the tool itself (no CDN, works offline): the stylesheet (the reports' own,
/// <see cref="ReportPage.Stylesheet"/>, the heat map's shades and the page's layout) and the script that turns the
/// REPL's completions into the query box's suggestions. The pages work without the script; they hold no inline
/// style or script, so the Content-Security-Policy can allow only these.
/// </summary>
internal static class ConsoleAssets
{
    /// <summary><c>/console.css</c>.</summary>
    public static readonly string Stylesheet = ReportPage.Stylesheet + "\n" + Heat() + """
        body { margin: 0; }
        header { display: flex; gap: 1em; align-items: center; padding: .75em 2em; background: #f4f7f9; border-bottom: 1px solid #dde4ea; }
        header a.home { font-weight: bold; color: #1f78a8; text-decoration: none; }
        form.query { display: flex; flex: 1; gap: .5em; }
        form.query input[type=text] { flex: 1; font: 14px ui-monospace, monospace; padding: .45em .6em; border: 1px solid #b8c4ce; border-radius: 4px; }
        form.query input[type=submit] { padding: .45em 1.2em; }
        main { padding: 1em 2em 3em; }
        section.result { margin-bottom: 2em; }
        section.result h2 { font-size: 1.05em; margin: 1em 0 .5em; }
        section.result h2 a { color: inherit; text-decoration: none; }
        section.result h2 a:hover code { text-decoration: underline; }
        p.permalink { font-size: .9em; }
        pre.explain { background: #f7f7f7; border: 1px solid #e3e3e3; padding: .75em; overflow-x: auto; }
        pre.error { color: #a00; background: #fff4f4; border: 1px solid #e0b4b4; padding: .75em; white-space: pre-wrap; }
        ol.ids { columns: 8em; font-variant-numeric: tabular-nums; }
        ul.events { columns: 16em; }
        table.cohort { border-collapse: collapse; font-variant-numeric: tabular-nums; }
        table.cohort th, table.cohort td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; }
        table.cohort th { background: #f4f4f4; }
        table.cohort td.label { text-align: left; white-space: nowrap; }
        table.cohort tr.average td { font-weight: bold; border-top: 2px solid #999; }
        form.cohort { margin-bottom: 1.5em; display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: end; }
        form.cohort label { display: flex; flex-direction: column; font-size: .85em; }
        """;

    /// <summary>The heat map's shades: <c>heatN</c> is N tenths of hue 200's opacity, as the cohort report draws it; dark cells get light text.</summary>
    private static string Heat()
    {
        var sb = new StringBuilder();
        for (var n = 0; n <= 10; n++)
            sb.Append(CultureInfo.InvariantCulture, $"table.cohort td.heat{n} {{ background: hsla(200, 70%, 40%, {n / 10.0:0.0}); color: {(n >= 6 ? "#fff" : "#222")}; }}\n");
        return sb.ToString();
    }

    /// <summary>
    /// <c>/console.js</c>: as the box is typed in, asks <c>/complete</c> for the completions of the word being typed
    /// (the REPL's: keywords, functions, event names) and offers them as whole lines in the box's list.
    /// </summary>
    public const string Script = """
        "use strict";
        (function () {
          var box = document.getElementById("q");
          var list = document.getElementById("suggest");
          if (!box || !list || !window.fetch) return;
          var asked = 0;
          var timer = 0;
          function suggest() {
            var line = box.value.slice(0, box.selectionStart === null ? box.value.length : box.selectionStart);
            var ticket = ++asked;
            fetch("/complete?line=" + encodeURIComponent(line), { headers: { "Accept": "application/json" } })
              .then(function (r) { return r.ok ? r.json() : []; })
              .then(function (items) {
                if (ticket !== asked) return; // a later keystroke asked again
                while (list.firstChild) list.removeChild(list.firstChild);
                items.forEach(function (text) {
                  var option = document.createElement("option");
                  option.value = text;
                  list.appendChild(option);
                });
              })
              .catch(function () { });
          }
          box.addEventListener("input", function () {
            clearTimeout(timer);
            timer = setTimeout(suggest, 150);
          });
        })();
        """;
}
