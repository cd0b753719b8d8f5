using System.Net;
using System.Net.Sockets;

namespace NetTop.Demo;

/// <summary>
/// One live situation the demo keeps going inside its namespace. <see cref="Run"/> is called once on a thread that
/// has entered the namespace (a socket stays in the namespace it was created in) and loops until cancelled; it owns
/// every socket it makes, keeps their number bounded, and closes them all before it returns.
/// </summary>
internal abstract class DemoScenario
{
    protected static readonly IPAddress Loopback = IPAddress.Loopback;

    /// <summary>A short name for thread names and error messages.</summary>
    public abstract string Name { get; }

    /// <summary>iptables rule specifications (what follows `-A`) the scenario needs, added before it runs and
    /// deleted after it stopped.</summary>
    public virtual IReadOnlyList<string[]> Rules => [];

    /// <summary>Failed steps so far (a scenario retries instead of giving up; the count says something is off).</summary>
    public int Errors => Volatile.Read(ref _errors);

    /// <summary>The last failure, for the exit message.</summary>
    public string? LastError { get; private set; }

    private int _errors;

    public abstract void Run(CancellationToken ct);

    /// <summary>Sleeps <paramref name="interval"/>; true when the demo is stopping.</summary>
    protected static bool Stopping(CancellationToken ct, TimeSpan interval) => ct.WaitHandle.WaitOne(interval);

    protected void Failed(Exception e)
    {
        Interlocked.Increment(ref _errors);
        LastError = e.Message;
    }

    protected static Socket NewSocket() => new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    protected static Socket Listen(int port, int backlog)
    {
        Socket s = NewSocket();
        try
        {
            s.Bind(new IPEndPoint(Loopback, port));
            s.Listen(backlog);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>A non-blocking connect: returns at once whatever becomes of the handshake (EINPROGRESS is normal).</summary>
    protected static Socket ConnectNonBlocking(int port)
    {
        Socket s = NewSocket();
        s.Blocking = false;
        try
        {
            s.Connect(new IPEndPoint(Loopback, port));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
        }
        catch
        {
            s.Dispose();
            throw;
        }
        return s;
    }

    /// <summary>A connect that has finished within <paramref name="timeout"/> (loopback answers in microseconds),
    /// or throws (refused, timed out).</summary>
    protected static Socket ConnectWithin(int port, TimeSpan timeout)
    {
        Socket s = ConnectNonBlocking(port);
        try
        {
            if (!s.Poll(timeout, SelectMode.SelectWrite))
            {
                throw new SocketException((int)SocketError.TimedOut);
            }
            if (s.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int error && error != 0)
            {
                throw new SocketException(error);
            }
            s.Blocking = true;
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }

    /// <summary>The next connection waiting on <paramref name="listener"/>, or throws when none came in time.</summary>
    protected static Socket AcceptWithin(Socket listener, TimeSpan timeout) =>
        listener.Poll(timeout, SelectMode.SelectRead) ? listener.Accept() : throw new SocketException((int)SocketError.TimedOut);

    /// <summary>Closes with SO_LINGER {1, 0}: the kernel sends an RST instead of a FIN (tcp_disconnect).</summary>
    protected static void Abort(Socket s)
    {
        try
        {
            s.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // already reset by the peer: a plain close sends nothing
        }
        s.Dispose();
    }

    /// <summary>
    /// Opens a non-blocking client to <paramref name="port"/> every <paramref name="interval"/>, and
    /// <paramref name="firstBurst"/> of them at the start, until the demo stops; <paramref name="clients"/> bounds
    /// how many live and for how long.
    /// </summary>
    protected void KeepConnecting(CancellationToken ct, Aging clients, int port, TimeSpan interval, int firstBurst = 1)
    {
        int count = firstBurst;
        do
        {
            clients.Expire();
            for (int i = 0; i < count; i++)
            {
                try
                {
                    clients.Add(ConnectNonBlocking(port));
                }
                catch (SocketException e)
                {
                    Failed(e);
                }
            }
            count = 1;
        }
        while (!Stopping(ct, interval));
    }

    /// <summary>A bounded set of sockets that live a fixed time each, oldest closed first.</summary>
    protected sealed class Aging(int max, TimeSpan lifetime, Action<Socket> close) : IDisposable
    {
        private readonly Queue<(Socket Socket, long Born)> _sockets = new();

        public int Count => _sockets.Count;

        public void Add(Socket s)
        {
            _sockets.Enqueue((s, Environment.TickCount64));
            while (_sockets.Count > max)
            {
                close(_sockets.Dequeue().Socket);
            }
        }

        /// <summary>Closes the sockets older than the lifetime.</summary>
        public void Expire()
        {
            long now = Environment.TickCount64;
            while (_sockets.TryPeek(out var oldest) && now - oldest.Born >= (long)lifetime.TotalMilliseconds)
            {
                close(_sockets.Dequeue().Socket);
            }
        }

        public void Dispose()
        {
            while (_sockets.TryDequeue(out var s))
            {
                close(s.Socket);
            }
        }
    }
}
