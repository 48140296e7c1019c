using System.Buffers;
using System.Text;
using Rag.Core.Redis;

namespace Rag.Tests.Redis;

public sealed class RespProtocolTests
{
    private static readonly byte[] Reply = Encoding.ASCII.GetBytes("*3\r\n$3\r\na\r\n\r\n:-42\r\n*2\r\n+OK\r\n$-1\r\n-ERR boom\r\n");

    [Fact]
    public void EncodesCommandsAsArraysOfBulkStrings()
    {
        var output = new ArrayBufferWriter<byte>();

        RespWriter.WriteCommand(output, "SET", ["kéy", new byte[] { 0, 13, 10 }, 12345, default]);

        Assert.Equal("*5\r\n$3\r\nSET\r\n$4\r\nkéy\r\n$3\r\n\0\r\n\r\n$5\r\n12345\r\n$0\r\n\r\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void EncodesLargeValuesWithTheirExactLength()
    {
        var output = new ArrayBufferWriter<byte>();
        var large = new string('é', 100_000);

        RespWriter.WriteCommand(output, "ECHO", [large]);

        Assert.Equal($"*2\r\n$4\r\nECHO\r\n$200000\r\n{large}\r\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void DecodesNestedRepliesOfEveryType()
    {
        var buffer = new ReadOnlySequence<byte>(Reply);

        Assert.True(RespReader.TryRead(ref buffer, out var array));
        Assert.True(RespReader.TryRead(ref buffer, out var error));

        Assert.True(buffer.IsEmpty);
        var elements = array.AsArray();
        Assert.Equal(RedisResultKind.BulkString, elements[0].Kind);
        Assert.Equal("a\r\n", elements[0].AsString());
        Assert.Equal(-42, elements[1].AsInt64());
        Assert.Equal("OK", elements[2].AsArray()[0].AsString());
        Assert.True(elements[2].AsArray()[1].IsNull);
        Assert.Equal("ERR boom", error.ErrorMessage);
    }

    [Fact]
    public void WaitsForMoreDataAtEverySplitPointAndAcrossSegments()
    {
        var arrayLength = Reply.Length - "-ERR boom\r\n".Length;
        for (var split = 0; split < Reply.Length; split++)
        {
            var partial = new ReadOnlySequence<byte>(Reply, 0, split);
            Assert.Equal(split >= arrayLength, RespReader.TryRead(ref partial, out _));
            Assert.Equal(split >= arrayLength ? split - arrayLength : split, partial.Length);

            var segmented = Segmented(Reply[..split], Reply[split..]);
            Assert.True(RespReader.TryRead(ref segmented, out var reply), $"Could not read across a split at {split}.");
            Assert.Equal(3, reply.AsArray().Count);
        }
    }

    [Fact]
    public void RejectsBytesThatAreNotResp()
    {
        var buffer = new ReadOnlySequence<byte>("?what\r\n"u8.ToArray());

        Assert.Throws<RedisProtocolException>(() => RespReader.TryRead(ref buffer, out _));
    }

    private static ReadOnlySequence<byte> Segmented(byte[] first, byte[] second)
    {
        var start = new Segment(first, 0);
        var end = start.Append(second);
        return new ReadOnlySequence<byte>(start, 0, end, second.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
