using System.Globalization;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Cohorts.Rendering;

/// <summary>
/// The fields of the HTML report's form (<see cref="CohortHtmlOptions.IncludeForm"/>), as typed: the two sets in
/// the query language, the grouping, percent or counts, rows, columns, a start date, the retention and the
/// membership. An application that serves the report reads a submitted form with <see cref="FromQueryString"/>
/// and runs <see cref="ToQuery"/>; <c>bitmapist cohort --serve</c> does exactly that.
/// </summary>
/// <param name="Cohort">The cohort set (bare event names are the row's period), e.g. <c>signup &amp; web</c>.</param>
/// <param name="Then">The return set, e.g. <c>active</c>.</param>
/// <param name="By"><c>day</c>, <c>week</c>, <c>month</c> or <c>year</c>.</param>
/// <param name="Values"><c>percent</c> or <c>counts</c>.</param>
/// <param name="Rows">Number of rows, or empty for the default.</param>
/// <param name="Cols">Columns after the first, or empty for the default.</param>
/// <param name="From">The first row as a date (<c>2026-03-01</c>, moved to the period that contains it), or empty for a table ending now.</param>
/// <param name="Retention"><c>n-day</c> (returned in that period) or <c>unbounded</c> (in that period or later).</param>
/// <param name="Membership"><c>any</c> or <c>first</c> (first-time cohorts).</param>
public sealed record CohortForm(
    string Cohort,
    string Then,
    string By = "day",
    string Values = "percent",
    string Rows = "",
    string Cols = "",
    string From = "",
    string Retention = "n-day",
    string Membership = "any")
{
    /// <summary>
    /// The form filled in with <paramref name="query"/>'s settings. The form's start is a date: a start given as an
    /// offset (<c>from -11</c>) is turned into the date it stands for at <paramref name="now"/>, or left empty
    /// (a table ending at the current period) without one.
    /// </summary>
    public static CohortForm Of(CohortQuery query, DateTime? now = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new CohortForm(
            query.Cohort.Text,
            query.Return.Text,
            CohortFormat.Unit(query.By),
            query.Values == CohortValues.Counts ? "counts" : "percent",
            query.RowCount.ToString(CultureInfo.InvariantCulture),
            query.Cols.ToString(CultureInfo.InvariantCulture),
            query.From switch
            {
                { IsRelative: false } f => f.Fixed!.Value.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                { } relative when now is { } at => relative.Resolve(at).Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                _ => "",
            },
            query.Retention == RetentionMode.Unbounded ? "unbounded" : "n-day",
            query.Membership == CohortMembership.FirstTime ? "first" : "any");
    }

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

    /// <summary>The query the form stands for.</summary>
    /// <exception cref="FormatException">A field is not one of its allowed values, or a set field is more than one set.</exception>
    /// <exception cref="QuerySyntaxException">A set does not parse (line, column, caret, what was expected).</exception>
    /// <exception cref="BitmapistQueryException">A setting is out of range.</exception>
    public CohortQuery ToQuery()
    {
        var unit = By.Trim().ToLowerInvariant() switch
        {
            "day" => PeriodUnit.Day,
            "week" => PeriodUnit.Week,
            "month" => PeriodUnit.Month,
            "year" => PeriodUnit.Year,
            _ => throw new FormatException($"Group by must be day, week, month or year, not '{By}'."),
        };
        var membership = Membership.Trim().ToLowerInvariant() switch
        {
            "any" or "" => CohortMembership.AnyTime,
            "first" => CohortMembership.FirstTime,
            _ => throw new FormatException($"Cohort membership must be 'any' or 'first', not '{Membership}'."),
        };
        var retention = Retention.Trim().ToLowerInvariant() switch
        {
            "n-day" or "" => RetentionMode.NDay,
            "unbounded" => RetentionMode.Unbounded,
            _ => throw new FormatException($"Retention must be 'n-day' or 'unbounded', not '{Retention}'."),
        };
        var values = Values.Trim().ToLowerInvariant() switch
        {
            "percent" or "" => CohortValues.Percent,
            "counts" => CohortValues.Counts,
            _ => throw new FormatException($"Show must be 'percent' or 'counts', not '{Values}'."),
        };
        PeriodRef? from = null;
        if (!string.IsNullOrWhiteSpace(From))
        {
            if (!DateTime.TryParseExact(From.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                throw new FormatException($"The start date must look like 2026-03-01, not '{From}'.");
            from = PeriodRef.Of(Period.Of(unit, day));
        }
        var query = new CohortQuery(SetField(Cohort, "cohort set", "signup"), SetField(Then, "return set", "active"), unit)
        {
            Rows = Number(Rows, "Rows"),
            Cols = Number(Cols, "Columns") ?? 12,
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
