// csandbox.h: fork+exec of an untrusted program under rlimits, namespaces and a dropped uid, for MimicEval.
#ifndef CSANDBOX_H
#define CSANDBOX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How the sandboxed program ended (`csandbox_result.outcome`).
enum {
    CSANDBOX_EXITED = 0,       ///< exited normally; see `exit_code`
    CSANDBOX_SIGNALED = 1,     ///< killed by a signal; see `signal` (SIGXCPU = CPU limit)
    CSANDBOX_TIMED_OUT = 2,    ///< ran past the wall-clock limit and was killed
    CSANDBOX_SETUP_FAILED = 3, ///< the sandbox could not start the program; see `setup_stage`, `setup_errno`
    CSANDBOX_LOST = 4,         ///< the sandbox's helper died without reporting the program's status
};

/// Setup steps that can fail (`csandbox_result.setup_stage`); `csandbox_stage_name` names them.
enum {
    CSANDBOX_STAGE_NONE = 0,
    CSANDBOX_STAGE_FORK = 1,
    CSANDBOX_STAGE_STDIO = 2,
    CSANDBOX_STAGE_RLIMIT = 3,
    CSANDBOX_STAGE_SETGROUPS = 4,
    CSANDBOX_STAGE_SETGID = 5,
    CSANDBOX_STAGE_SETUID = 6,
    CSANDBOX_STAGE_NO_NEW_PRIVS = 7,
    CSANDBOX_STAGE_CHDIR = 8,
    CSANDBOX_STAGE_EXEC = 9,
    CSANDBOX_STAGE_STAGE_FILES = 10,
};

/// What to run and under which limits. All paths absolute; `argv` and `envp` NULL-terminated.
typedef struct {
    const char *path;                 ///< executable to execve
    const char *const *argv;          ///< argument vector, argv[0] first
    const char *const *envp;          ///< the complete environment (nothing is inherited)
    const char *workdir;              ///< existing directory the program runs in
    const char *const *stage_files;   ///< names in `workdir` copied into the private scratch tmpfs (may be NULL)
    double wall_seconds;              ///< wall-clock limit, measured by the parent
    long cpu_seconds;                 ///< RLIMIT_CPU (soft; hard = soft + 1); <= 0 = unlimited
    long long memory_bytes;           ///< RLIMIT_AS; <= 0 = unlimited
    long long file_bytes;             ///< RLIMIT_FSIZE; < 0 = unlimited
    long long scratch_bytes;          ///< size of the tmpfs mounted over `workdir` (Linux, mount namespace)
    long processes;                   ///< RLIMIT_NPROC (per uid; root ignores it, hence `run_uid`); <= 0 = unlimited
    long open_files;                  ///< RLIMIT_NOFILE (at least 8 is enforced)
    long long run_uid;                ///< uid (and gid) to drop to when the parent is root; < 0 = keep the caller's
    size_t capture_bytes;             ///< bytes kept of stdout and of stderr each; the rest is read and discarded
    int no_namespaces;                ///< 1 skips namespaces, mounts and the seccomp filter (tests of the fallback)
    const char *const *hide_paths;    ///< folders covered by an empty tmpfs the program cannot write (NULL-terminated, may be NULL)
    long long group_memory_bytes;     ///< memory of all the program's processes together (a memory cgroup, as root); <= 0 = none
} csandbox_config;

/// What happened. Free the captured buffers with `csandbox_result_free`.
typedef struct {
    int outcome;               ///< CSANDBOX_EXITED ... CSANDBOX_LOST
    int exit_code;             ///< exit status when outcome == CSANDBOX_EXITED
    int signal;                ///< signal number when outcome == CSANDBOX_SIGNALED
    int setup_stage;           ///< failing step when outcome == CSANDBOX_SETUP_FAILED
    int setup_errno;           ///< errno of that step
    int net_isolated;          ///< 1 when the program ran in a fresh network namespace (loopback down, no routes)
    int fs_isolated;           ///< 1 when every mount but the scratch dir was remounted read-only
    int pid_isolated;          ///< 1 when the program ran in a fresh pid namespace (killed as a whole at the end)
    int scratch_private;       ///< 1 when `workdir` was covered by a size-limited private tmpfs
    int uid_dropped;           ///< 1 when the program ran as `run_uid` instead of root
    int user_namespace;        ///< 1 when an unprivileged caller used a user namespace to get the above
    int syscall_filter;        ///< 1 when the seccomp filter (no unshare/setns/mount/namespace clone) was installed
    int remount_failures;      ///< mounts that could not be made read-only
    int paths_hidden;          ///< 1 when every existing `hide_paths` folder was covered
    int memory_grouped;        ///< 1 when the program's processes ran in a memory cgroup of `group_memory_bytes`
    double wall_seconds;       ///< elapsed wall time from fork to the end
    double cpu_seconds;        ///< user + system CPU of the program and the children it waited for
    char *out;                 ///< captured stdout (malloc'd, `out_len` bytes, not NUL-terminated)
    size_t out_len;
    size_t out_total;          ///< bytes the program wrote to stdout in all (read before the end)
    char *err;                 ///< captured stderr
    size_t err_len;
    size_t err_total;
} csandbox_result;

/// Runs `cfg` and fills `res`. Returns 0, or -errno when the parent could not set up (pipes, fork, memory);
/// failures inside the child are reported as outcome CSANDBOX_SETUP_FAILED instead.
int csandbox_run(const csandbox_config *cfg, csandbox_result *res);

/// Frees the buffers inside `res` (not `res` itself).
void csandbox_result_free(csandbox_result *res);

/// Name of a CSANDBOX_STAGE_* value ("setuid", "exec", ...).
const char *csandbox_stage_name(int stage);

/// As root: SIGKILLs every process whose real, effective or saved uid is `uid`, by helpers that switch to
/// that uid and call kill(-1, SIGKILL), until /proc shows none alive; then waits (up to 2 s) until init has
/// reaped their zombies, which would otherwise still count against the uid's RLIMIT_NPROC. Returns the
/// number of kill rounds (0: there was none), or -errno (-EPERM when not root or `uid` is 0; -EAGAIN when
/// some survived 200 rounds). Without /proc (macOS) it does three rounds blind.
int csandbox_kill_uid(long long uid);

/// Counts processes whose real, effective or saved uid is `uid`, from /proc, zombies only when
/// `include_zombies`; -ENOSYS without /proc.
int csandbox_count_uid_processes(long long uid, int include_zombies);

/// Decompresses a gzip file with zlib into a malloc'd buffer (`*out`, `*out_len`; free with `free`).
/// Returns 0, -errno when the file cannot be opened or read, or -EILSEQ when the data is not valid gzip.
int csandbox_gunzip_file(const char *path, char **out, size_t *out_len);

#ifdef __cplusplus
}
#endif

#endif
