using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Tests.Model;

/// <summary>User ids are bit numbers in [0, 2^32): everything else is rejected before any I/O.</summary>
public class UserIdsTests
{
    [Theory]
    [InlineData(0L, 0u)]
    [InlineData(1L, 1u)]
    [InlineData(65536L, 65536u)]
    [InlineData(2147483648L, 2147483648u)]
    [InlineData(4294967295L, 4294967295u)]
    public void Validate_accepts_every_bit_number(long id, uint expected)
    {
        UserIds.Validate(id).ShouldBe(expected);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(4294967296L)]
    [InlineData(4294967297L)]
    [InlineData(192329230202L)] // a real user's id from a bitmapist issue
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData(-4294967296L)]   // would wrap to 0 if truncated
    public void Validate_rejects_ids_outside_0_to_2_pow_32(long id)
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => UserIds.Validate(id));
        ex.ParamName.ShouldBe("id");
        ex.ActualValue.ShouldBe(id);
        ex.Message.ShouldContain("4294967295");
    }

    [Fact]
    public void Validate_reports_the_callers_parameter_name()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => UserIds.Validate(-1, "userId")).ParamName.ShouldBe("userId");
    }

    [Fact]
    public void Max_is_2_pow_32_minus_1()
    {
        UserIds.Max.ShouldBe(4294967295L);
        UserIds.Validate(UserIds.Max).ShouldBe(uint.MaxValue);
        Should.Throw<ArgumentOutOfRangeException>(() => UserIds.Validate(UserIds.Max + 1));
    }
}
