using HistoPrognosis.Survival;

namespace HistoPrognosis.Tests.Survival;

public class SurvivalTableTests
{
    [Fact]
    public void Reads_R_style_quoted_csv()
    {
        var t = SurvivalTable.Parse("\uFEFF\"id\",\"time\",\"event\",\"note\"\r\n\"a\",\"1.5\",1,\"x, \"\"y\"\"\"\r\n\r\nb,2e1,0,\"two\nlines\"\n", "f.csv");
        Assert.Equal(["id", "time", "event", "note"], t.Columns);
        Assert.Equal([1.5, 20], t.Times("time"));
        Assert.Equal([true, false], t.Events("event"));
        Assert.Equal(["x, \"y\"", "two\nlines"], t.Strings("note"));
        Assert.Equal(4, t.LineOf(1));
    }

    [Theory]
    [InlineData("time,event\n1,1\n-2,0\n", "time", "row 3, column 'time'")]
    [InlineData("time,event\n1,1\nNaN,0\n", "time", "row 3, column 'time'")]
    [InlineData("time,event\n1,1\n2,\n", "event", "row 3, column 'event'")]
    [InlineData("time,event\n1,2\n2,0\n", "event", "row 2, column 'event'")]
    [InlineData("time,event\n1,1\n", "risk", "no column 'risk'")]
    public void Errors_name_file_line_and_column(string csv, string column, string expected)
    {
        var t = SurvivalTable.Parse(csv, "in.csv");
        var ex = Assert.Throws<UserInputException>(() =>
        {
            if (column == "event") t.Events(column); else t.Times(column);
        });
        Assert.Contains("in.csv", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Ragged_rows_are_refused_with_their_line()
    {
        var ex = Assert.Throws<UserInputException>(() => SurvivalTable.Parse("a,b\n1,2\n3\n", "r.csv"));
        Assert.Contains("line 3", ex.Message);
    }
}
