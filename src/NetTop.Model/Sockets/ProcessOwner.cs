namespace NetTop.Model.Sockets;

/// <summary>The process holding a socket's file descriptor.</summary>
public sealed record ProcessOwner(int Pid, string Comm);

/// <summary>socket inode → owner, answered from a cache that is refreshed off the refresh path.</summary>
public interface IProcessOwners
{
    bool TryGet(ulong inode, out ProcessOwner? owner);
}

public sealed class NoProcessOwners : IProcessOwners
{
    public static readonly NoProcessOwners Instance = new();

    public bool TryGet(ulong inode, out ProcessOwner? owner)
    {
        owner = null;
        return false;
    }
}
