using System.Text;

namespace Rag.Core.Redis;

/// <summary>A message received on a subscribed channel.</summary>
public sealed record RedisMessage(string Channel, byte[] Payload)
{
    public string PayloadText => Encoding.UTF8.GetString(Payload);
}
