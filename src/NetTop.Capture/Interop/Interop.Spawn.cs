using System.Runtime.InteropServices;

namespace NetTop.Capture.Interop;

/// <summary>
/// posix_spawn(3) and the child bookkeeping around it (spawn.h, sys/wait.h, linux/pidfd.h). The attribute and
/// file-action objects are opaque: glibc's are 336 and 80 bytes on x86_64 and aarch64, so callers give them
/// <see cref="OpaqueSize"/> bytes.
/// </summary>
internal static unsafe class Spawn
{
    public const int OpaqueSize = 512;
    public const int SigSetSize = 128; // glibc sigset_t: 1024 bits
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const int SYS_pidfd_send_signal = 424;
    public const int SYS_pidfd_open = 434;
    public const int WNOHANG = 1;

    [DllImport("libc", EntryPoint = "posix_spawn")]
    public static extern int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [DllImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    public static extern int posix_spawn_file_actions_init(void* actions);

    [DllImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    public static extern int posix_spawn_file_actions_destroy(void* actions);

    [DllImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static extern int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);

    [DllImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    public static extern int posix_spawn_file_actions_addopen(void* actions, int fd, byte* path, int flags, uint mode);

    /// <summary>glibc ≥ 2.29.</summary>
    [DllImport("libc", EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    public static extern int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);

    [DllImport("libc", EntryPoint = "posix_spawnattr_init")]
    public static extern int posix_spawnattr_init(void* attr);

    [DllImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    public static extern int posix_spawnattr_destroy(void* attr);

    [DllImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    public static extern int posix_spawnattr_setflags(void* attr, short flags);

    [DllImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    public static extern int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [DllImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    public static extern int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [DllImport("libc", EntryPoint = "sigemptyset")]
    public static extern int sigemptyset(void* set);

    [DllImport("libc", EntryPoint = "sigaddset")]
    public static extern int sigaddset(void* set, int signo);

    [DllImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static extern int waitpid(int pid, int* status, int options);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    public static extern long spawn_syscall(long number, long a1, long a2, long a3, long a4);
}
