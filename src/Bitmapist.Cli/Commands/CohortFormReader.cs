using System.Globalization;
using Bitmapist.Linq;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// Reads a submission of the cohort report's form (<see cref="CohortForm"/>, drawn by the library's
/// <see cref="CohortHtml"/>) back into a query, for <c>bitmapist cohort --serve</c> (<see cref="CohortServer"/>):
/// the URL's query string into the form's fields, and the fields into a <see cref="CohortQuery"/>, each field
/// checked with an error that names it.
/// </summary>
internal static class CohortFormReader
{
    /// <summary>
    /// A submitted form from a URL's query string (<c>?cohort=signup&amp;then=active&amp;by=week</c>, with or without
    /// the <c>?</c>); a missing field takes <paramref name="defaults"/>' value, or the record's default.
    /// </summary>
    public static CohortForm FromQueryString(string queryString, CohortForm? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(queryString);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in queryString.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(eq < 0 ? pair : pair[..eq]);
            fields[name] = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
        }
        var d = defaults ?? new CohortForm("", "");
        string Field(string name, string fallback) => fields.TryGetValue(name, out var v) ? v : fallback;
        return new CohortForm(
            Field("cohort", d.Cohort), Field("then", d.Then), Field("by", d.By), Field("values", d.Values),
            Field("rows", d.Rows), Field("cols", d.Cols), Field("from", d.From), Field("retention", d.Retention), Field("membership", d.Membership));
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    /// <summary>The query <paramref name="form"/> stands for.</summary>
    /// <exception cref="FormatException">A field is not one of its allowed values, or a set field is more than one set.</exception>
    /// <exception cref="QuerySyntaxException">A set does not parse (line, column, caret, what was expected).</exception>
    /// <exception cref="BitmapistQueryException">A setting is out of range.</exception>
    public static CohortQuery ToQuery(this CohortForm form)
    {
        ArgumentNullException.ThrowIfNull(form);
        var unit = form.By.Trim().ToLowerInvariant() switch
        {
            "day" => PeriodUnit.Day,
            "week" => PeriodUnit.Week,
            "month" => PeriodUnit.Month,
            "year" => PeriodUnit.Year,
            _ => throw new FormatException($"Group by must be day, week, month or year, not '{form.By}'."),
        };
        var membership = form.Membership.Trim().ToLowerInvariant() switch
        {
            "any" or "" => CohortMembership.AnyTime,
            "first" => CohortMembership.FirstTime,
            _ => throw new FormatException($"Cohort membership must be 'any' or 'first', not '{form.Membership}'."),
        };
        var retention = form.Retention.Trim().ToLowerInvariant() switch
        {
            "n-day" or "" => RetentionMode.NDay,
            "unbounded" => RetentionMode.Unbounded,
            _ => throw new FormatException($"Retention must be 'n-day' or 'unbounded', not '{form.Retention}'."),
        };
        var values = form.Values.Trim().ToLowerInvariant() switch
        {
            "percent" or "" => CohortValues.Percent,
            "counts" => CohortValues.Counts,
            _ => throw new FormatException($"Show must be 'percent' or 'counts', not '{form.Values}'."),
        };
        PeriodRef? from = null;
        if (!string.IsNullOrWhiteSpace(form.From))
        {
            // Any date the text's "from" takes (2026-03-01, 2026-03, 2026-W09...), moved to the period of the grouping that contains its start.
            if (!Period.TryParse(form.From.Trim(), out var start) || start.Unit == PeriodUnit.Unique)
                throw new FormatException($"The start date must look like 2026-03-01, not '{form.From}'.");
            from = PeriodRef.Of(Period.Of(unit, start.Start));
        }
        var query = new CohortQuery(SetField(form.Cohort, "cohort set", "signup"), SetField(form.Then, "return set", "active"), unit)
        {
            Rows = Number(form.Rows, "Rows"),
            Cols = Number(form.Cols, "Columns") ?? 12,
            From = from,
            Values = values,
            Retention = retention,
            Membership = membership,
        };
        query.Validate();
        return query;
    }

    /// <summary>
    /// One set field, parsed on its own: it is put alone in a cohort statement whose every other part is fixed,
    /// and the statement must come back with those parts unchanged, so typed text (a ')', a comment, a line break,
    /// a ';') can never add options or statements to the table.
    /// </summary>
    private static SetExpr SetField(string text, string label, string example)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new FormatException($"The {label} is empty: write one, e.g. {example}.");
        const string Probe = "form_probe";
        var statements = TextQuery.Parse($"cohort ({text.Trim()}) then ({Probe}) by day");
        var fixedParts = new CohortQuery(new TemplateNode("x"), new TemplateNode(Probe), PeriodUnit.Day);
        if (statements is not [CohortStatement { Query: var q }]
            || q.Return is not TemplateNode { EventName: Probe }
            || q with { Cohort = fixedParts.Cohort } != fixedParts)
            throw new FormatException($"The {label} must be one set, like {example} or {example} & unique(premium), not '{text}'.");
        if (q.Cohort.ParameterNames().FirstOrDefault() is { } parameter)
            throw new FormatException($"The {label} uses @{parameter}, which a form cannot give a value: write the set itself.");
        return q.Cohort;
    }

    private static int? Number(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"{field} must be a whole number, not '{value}'.");
    }
}
