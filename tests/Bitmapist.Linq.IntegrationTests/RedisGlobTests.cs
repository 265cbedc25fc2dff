using System.Text;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Reference;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// The reference back end's SCAN patterns (<see cref="RedisGlob"/>) match exactly the keys Redis matches: fixed edge
/// cases with the answer Redis gives, then random patterns over special characters against a real redis-server's
/// KEYS. A back end's ScanAsync decides which keys <c>ListEventsAsync</c> and <c>DeleteEventsAsync</c> touch, so a
/// glob that differs from Redis lists or deletes other keys than on Redis.
/// </summary>
public class RedisGlobTests
{
    [Theory]
    [InlineData("*", "", true)] // SCAN lists every key for "*" alone without matching
    [InlineData("**", "", false)]
    [InlineData("a*", "a", true)]
    [InlineData("*", "anything/at:all", true)]
    [InlineData("a*b", "ab", true)]
    [InlineData("a*b", "a/b", true)] // Redis's * crosses '/', unlike bitmapist-server's (Go's filepath.Match)
    [InlineData("a*b*c", "abcbc", true)]
    [InlineData("a*b*c", "abcb", false)]
    [InlineData("?", "", false)]
    [InlineData("?", "é", false)] // ? is one byte, and é is two in UTF-8
    [InlineData("??", "é", true)]
    [InlineData("[abc]", "b", true)]
    [InlineData("[abc]", "d", false)]
    [InlineData("[^abc]", "d", true)]
    [InlineData("[^abc]", "a", false)]
    [InlineData("[a-c]x", "bx", true)]
    [InlineData("[c-a]x", "bx", true)] // a range's ends in either order
    [InlineData("[a-c]", "-", false)]
    [InlineData("[-a]", "-", true)]
    [InlineData("[é-?]", "0", true)] // range ends compare as signed C chars: é's last byte (0xA9) is below '0'
    [InlineData("[é-?]", "_", false)]
    [InlineData(@"\*", "*", true)]
    [InlineData(@"\*", "a", false)]
    [InlineData(@"\?", "?", true)]
    [InlineData(@"\?", "a", false)]
    [InlineData(@"a\", @"a\", true)] // a trailing lone backslash is itself
    [InlineData(@"[\]]", "]", true)]
    [InlineData(@"[\-]", "-", true)]
    [InlineData("[]]", "]", false)] // [] is an empty class, so "[]]" needs a character no class holds
    [InlineData("[ab", "b", true)] // an unclosed class runs to the end of the pattern
    [InlineData("x[ab", "x[ab", false)]
    [InlineData("a[", "a[", false)]
    [InlineData("t_active_*", "t_active_2026-11", true)]
    [InlineData("t_active_*", "s_active_2026-11", false)]
    [InlineData("t_*_W*", "t_page/view_2026-11", false)]
    [InlineData("t_*_[0-9W]*", "t_page/view_W2026-48", true)]
    public void Patterns_match_as_redis_matches_them(string pattern, string key, bool expected) =>
        RedisGlob.IsMatch(pattern, key).ShouldBe(expected, $"'{pattern}' against '{key}'");

    [Fact]
    public void Many_stars_do_not_take_exponential_time()
    {
        // Without Redis's skip of longer matches, this pattern would try about 30^15 splits of the key.
        RedisGlob.IsMatch(string.Concat(Enumerable.Repeat("a*", 15)) + "b", new string('a', 30)).ShouldBeFalse();
    }

    [SkippableFact]
    public async Task Random_patterns_match_the_keys_redis_keys_command_matches()
    {
        // A private redis-server: KEYS must see only this test's keys.
        using var server = RedisServer.StartPrivate(out var port);
        try
        {
            await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true"); // KEYS is an admin command to the client
            var db = mux.GetDatabase();
            var r = new Random(20261130);
            // Keys and patterns over the same small alphabet, specials included, so patterns often match.
            string[] alphabet = ["a", "b", "c", "-", "^", "]", "[", @"\", "/", "_", "é", "0", "9"];
            string[] patternTokens = [.. alphabet, "*", "?", "[", "]", "[^", @"\", "-", "*", "?", "[a-c]", "[^a]", @"\*"];
            string Draw(string[] from, int max) => string.Concat(Enumerable.Range(0, r.Next(0, max + 1)).Select(_ => from[r.Next(from.Length)]));

            var keys = new HashSet<string>(StringComparer.Ordinal) { "", "t_active_2026-11", "t_page/view_W2026-48", "t_x_u" };
            while (keys.Count < 120) keys.Add(Draw(alphabet, 6));
            foreach (var key in keys) await db.StringSetAsync(key, "1");

            var checkedPatterns = 0;
            var nonTrivial = 0;
            for (var i = 0; i < 3000; i++)
            {
                var pattern = Draw(patternTokens, 7);
                var fromRedis = ((RedisResult[])(await db.ExecuteAsync("KEYS", pattern))!)
                    .Select(k => Encoding.UTF8.GetString((byte[])k!)).Order(StringComparer.Ordinal).ToList();
                var fromGlob = keys.Where(k => RedisGlob.IsMatch(pattern, k)).Order(StringComparer.Ordinal).ToList();
                fromGlob.ShouldBe(fromRedis, $"pattern '{pattern}'");
                checkedPatterns++;
                if (fromRedis.Count > 0 && fromRedis.Count < keys.Count) nonTrivial++;
            }
            checkedPatterns.ShouldBe(3000);
            nonTrivial.ShouldBeGreaterThan(300, "patterns that match some keys but not all");
        }
        finally
        {
            server.Kill();
        }
    }
}
