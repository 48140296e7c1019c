using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rag.Tests.Redis;

/// <summary>
/// A Redis stand-in for one client connection that can hold its replies back and then send them in a single write, so
/// that they reach the client in one read. A real server cannot be made to promise that, and the client's batching
/// only shows when it happens. It answers PING with PONG and ECHO with its argument; the tests that need real
/// commands use a real redis-server.
/// </summary>
internal sealed class HeldRepliesPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Lock _sync = new();
    private readonly List<byte[]> _heldReplies = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private TaskCompletionSource? _enoughHeld;
    private int _enough;
    private bool _holding;
    private Stream? _stream;

    public HeldRepliesPeer()
    {
        _listener.Start();
        _serving = ServeAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Completes when the client closes its connection (or resets it).</summary>
    public Task ClientClosed => _serving.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

    /// <summary>From now on, replies are held until <see cref="ReleaseAsync"/>.</summary>
    public void Hold()
    {
        lock (_sync)
        {
            _holding = true;
        }
    }

    /// <summary>Completes once <paramref name="count"/> replies are held.</summary>
    public Task HeldAsync(int count)
    {
        lock (_sync)
        {
            _enough = count;
            _enoughHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_heldReplies.Count >= count)
            {
                _enoughHeld.SetResult();
            }

            return _enoughHeld.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>
    /// Waits until <paramref name="count"/> replies are held, sends the first <paramref name="count"/> in one write,
    /// followed by <paramref name="trailingBytes"/> if given, and stops holding. Replies held beyond those are never sent.
    /// </summary>
    public async Task ReleaseAsync(int count, byte[]? trailingBytes = null)
    {
        await HeldAsync(count);
        byte[] together;
        lock (_sync)
        {
            together = [.. _heldReplies.Take(count).SelectMany(reply => reply), .. trailingBytes ?? []];
            _heldReplies.Clear();
            _holding = false;
            _stream!.Write(together);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        using var socket = await _listener.AcceptSocketAsync(_stop.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        lock (_sync)
        {
            _stream = stream;
        }

        var reader = new RespCommandReader(stream);
        while (await reader.ReadCommandAsync(_stop.Token) is { } command)
        {
            var reply = command switch
            {
                ["PING"] => "+PONG\r\n"u8.ToArray(),
                ["ECHO", var text] => Encoding.UTF8.GetBytes($"${Encoding.UTF8.GetByteCount(text)}\r\n{text}\r\n"),
                _ => Encoding.UTF8.GetBytes($"-ERR this test peer does not know {command[0]}\r\n"),
            };
            lock (_sync)
            {
                if (!_holding)
                {
                    stream.Write(reply);
                    continue;
                }

                _heldReplies.Add(reply);
                if (_enoughHeld is not null && _heldReplies.Count >= _enough)
                {
                    _enoughHeld.TrySetResult();
                }
            }
        }
    }

    /// <summary>Reads commands as clients send them: RESP arrays of bulk strings.</summary>
    private sealed class RespCommandReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<string[]?> ReadCommandAsync(CancellationToken cancellationToken)
        {
            var header = await ReadLineAsync(cancellationToken);
            if (header is null)
            {
                return null;
            }

            var command = new string[int.Parse(header.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)];
            for (var i = 0; i < command.Length; i++)
            {
                var length = await ReadLineAsync(cancellationToken) ?? throw new IOException("The client closed the connection inside a command.");
                var text = await ReadLineAsync(cancellationToken) ?? throw new IOException("The client closed the connection inside a command.");
                Assert.Equal(int.Parse(length.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetByteCount(text));
                command[i] = text;
            }

            return command;
        }

        private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var end = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (end >= 0)
                {
                    var line = Encoding.UTF8.GetString(_buffer, _start, end - 1 - _start);
                    _start = end + 1;
                    return line;
                }

                Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
                var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
                if (read == 0)
                {
                    return null;
                }

                _end += read;
            }
        }
    }
}
