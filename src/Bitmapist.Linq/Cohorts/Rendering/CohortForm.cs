using System.Globalization;
using System.Text;
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

    /// <summary>
    /// The cohort statement the form stands for. Each set is put in parentheses, so a field can only ever be one
    /// set: text typed into it cannot add options, comments or statements.
    /// </summary>
    /// <exception cref="FormatException">A field is not one of its allowed values (the message names it).</exception>
    public string StatementText()
    {
        var unit = By.Trim().ToLowerInvariant() switch
        {
            "day" => PeriodUnit.Day,
            "week" => PeriodUnit.Week,
            "month" => PeriodUnit.Month,
            "year" => PeriodUnit.Year,
            _ => throw new FormatException($"Group by must be day, week, month or year, not '{By}'."),
        };
        var sb = new StringBuilder("cohort ");
        sb.Append(Membership.Trim().ToLowerInvariant() switch
        {
            "any" or "" => "",
            "first" => "first ",
            _ => throw new FormatException($"Cohort membership must be 'any' or 'first', not '{Membership}'."),
        });
        if (string.IsNullOrWhiteSpace(Cohort)) throw new FormatException("The cohort set is empty: write one, e.g. signup.");
        if (string.IsNullOrWhiteSpace(Then)) throw new FormatException("The return set is empty: write one, e.g. active.");
        sb.Append('(').Append(Cohort.Trim()).Append(") then (").Append(Then.Trim()).Append(") by ").Append(PeriodRef.FunctionName(unit));
        if (Number(Rows, "Rows") is { } rows) sb.Append(CultureInfo.InvariantCulture, $" rows {rows}");
        if (Number(Cols, "Columns") is { } cols) sb.Append(CultureInfo.InvariantCulture, $" cols {cols}");
        if (!string.IsNullOrWhiteSpace(From))
        {
            if (!DateTime.TryParseExact(From.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                throw new FormatException($"The start date must look like 2026-03-01, not '{From}'.");
            sb.Append(" from ").Append(PeriodRef.Of(Period.Of(unit, day)).ArgumentText);
        }
        sb.Append(Retention.Trim().ToLowerInvariant() switch
        {
            "n-day" or "" => "",
            "unbounded" => " unbounded",
            _ => throw new FormatException($"Retention must be 'n-day' or 'unbounded', not '{Retention}'."),
        });
        sb.Append(Values.Trim().ToLowerInvariant() switch
        {
            "percent" or "" => "",
            "counts" => " counts",
            _ => throw new FormatException($"Show must be 'percent' or 'counts', not '{Values}'."),
        });
        return sb.ToString();
    }

    /// <summary>The query the form stands for.</summary>
    /// <exception cref="FormatException">A field is not one of its allowed values.</exception>
    /// <exception cref="QuerySyntaxException">A set does not parse (line, column, caret, what was expected).</exception>
    /// <exception cref="BitmapistQueryException">A setting is out of range.</exception>
    public CohortQuery ToQuery()
    {
        var text = StatementText();
        if (TextQuery.Parse(text) is not [CohortStatement statement])
            throw new FormatException($"The form does not make one cohort statement: {text}");
        statement.Query.Validate();
        return statement.Query;
    }

    private static int? Number(string value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        return int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"{field} must be a whole number, not '{value}'.");
    }
}
