using System.Buffers;
using System.Text;
using Cohort.Core;
using Cohort.Transport;

namespace Cohort.IntegrationTests;

/// <summary>Issue 17: a frame of the node-to-node socket with one unreadable message still yields the others.</summary>
public sealed class MessageFramesTests
{
    [Fact]
    public void Messages_WithOneUnreadableMessage_YieldTheOthers_AndTheBadOnesId()
    {
        byte[] bytes =
        [
            .. "[{\"id\":1,\"path\":\"internal/abort\",\"body\":{\"tx_id\":\""u8, 0xFF, .. "\"}},"u8,
            .. "{\"id\":2,\"path\":\"p\",\"body\":{\"x\":\"\\ud800\"}},"u8,
            .. "{\"id\":3,\"path\":\"p\",\"body\":{\"x\":1e400}},"u8,
            .. "{\"path\":\"p\",\"body\":{\"x\":1e400}},"u8,
            .. "{\"id\":5,\"path\":\"p\",\"body\":{}}]"u8,
        ];
        var frame = new ArrayBufferWriter<byte>();
        frame.Write(bytes);

        var messages = MessageFrames.Messages(frame);

        Assert.Equal(5, messages.Count);
        Assert.Equal([1L, 2L, 3L, null], messages.Take(4).Select(m => m.Id));
        Assert.All(messages.Take(4), m => Assert.Equal(ErrorCodes.BadJson, m.Error?.Code));
        Assert.Null(messages[4].Error);
        Assert.Equal("p", messages[4].Message.AsMap()["path"].AsString());
    }

    [Fact]
    public void Cancel_NamesTheRequestItStops_AndSharesAFrameWithRequests()
    {
        var frame = new ArrayBufferWriter<byte>();
        frame.Write("["u8);
        frame.Write(MessageFrames.Request(6, "internal/apply", Value.Map(("x", Value.From(1L)))));
        frame.Write(","u8);
        frame.Write(MessageFrames.Cancel(6));
        frame.Write("]"u8);

        var messages = MessageFrames.Messages(frame);

        Assert.Equal(2, messages.Count);
        var cancel = messages[1].Message.AsMap();
        Assert.Equal(6L, cancel["id"].AsInt64());
        Assert.True(cancel[MessageFrames.CancelField].AsBool());
        Assert.False(cancel.ContainsKey("path"));
        Assert.False(messages[0].Message.AsMap().ContainsKey(MessageFrames.CancelField));
    }

    [Theory]
    [InlineData("{\"id\":1}")]
    [InlineData("[{\"id\":1,")]
    [InlineData("[] []")]
    public void Messages_OfAFrameThatIsNotOneArray_AreRefusedWhole(string text)
    {
        var frame = new ArrayBufferWriter<byte>();
        frame.Write(Encoding.UTF8.GetBytes(text));
        Assert.Equal(ErrorCodes.BadJson, Assert.Throws<CohortException>(() => MessageFrames.Messages(frame)).Code);
    }
}
