// sandbox.c: runs one untrusted program in a sandbox (namespaces, read-only mounts, rlimits, dropped uid).
//
// Process layout (Linux, as root):
//   parent P (mimic)  -- fork -->  C1: own process group, unshare(net, mount, pid, ipc), read-only remount of
//                                  every mount, private tmpfs over the work dir, reports isolation to P
//   C1 -- fork --> C2: pid 1 of the new pid namespace; mounts a fresh /proc, reaps, reports the program's
//                      wait status to P; when it exits the kernel SIGKILLs everything left in the namespace
//   C2 -- fork --> C3: stdio, rlimits, setgroups/setgid/setuid to the sandbox uid, parent-death signal,
//                      no_new_privs, seccomp filter (no unshare/setns/mount), chdir, execve
// An unprivileged caller gets the same namespaces through a user namespace when the kernel allows it.
// P captures stdout/stderr through pipes (bounded, the rest drained), enforces the wall clock, and at the end
// always SIGKILLs the process group and, as root, every process of the sandbox uid (csandbox_kill_uid).
// Children run only async-signal-safe code (no malloc, no stdio): the parent may be multithreaded.
// Namespaces, mounts and seccomp live in isolation.c; the per-uid sweep and gzip reading in support.c.
#define _GNU_SOURCE
#include "sandbox_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

// MARK: - Child-side helpers (async-signal-safe)

void csb_send_message(int32_t tag, int32_t a, int64_t b, int64_t c) {
    csb_message m = {tag, a, b, c};
    ssize_t n;
    do { n = write(FD_STATUS, &m, sizeof m); } while (n < 0 && errno == EINTR);
}

void csb_fail_setup(int stage) {
    csb_send_message(MSG_SETUP_ERROR, stage, errno, 0);
    _exit(127);
}

int csb_write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

// Appends the decimal form of v to s (which has room); returns the new end.
char *csb_append_number(char *s, long long v) {
    char digits[24];
    int n = 0;
    unsigned long long u = v < 0 ? (unsigned long long)(-v) : (unsigned long long)v;
    if (v < 0) *s++ = '-';
    do { digits[n++] = (char)('0' + u % 10); u /= 10; } while (u > 0);
    while (n > 0) *s++ = digits[--n];
    *s = 0;
    return s;
}

char *csb_append_text(char *s, const char *t) {
    while (*t) *s++ = *t++;
    *s = 0;
    return s;
}

void csb_close_from(int lowest) {
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, (unsigned)lowest, ~0U, 0) == 0) return;
#endif
    struct rlimit rl;
    long top = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < top)
        top = (long)rl.rlim_cur;
    for (long fd = lowest; fd < top; fd++) close((int)fd);
}

int csb_set_limit(int resource, long long value) {
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = value < 0 ? RLIM_INFINITY : (rlim_t)value;
    return setrlimit(resource, &rl);
}

// MARK: - The three child processes

static void run_program(const csb_context *ctx) __attribute__((noreturn));
static void run_program(const csb_context *ctx) {
    const csandbox_config *cfg = ctx->cfg;
    if (dup2(FD_NULL, 0) < 0 || dup2(FD_OUT, 1) < 0 || dup2(FD_ERR, 2) < 0) csb_fail_setup(CSANDBOX_STAGE_STDIO);
    if (fcntl(FD_STATUS, F_SETFD, FD_CLOEXEC) != 0) csb_fail_setup(CSANDBOX_STAGE_STDIO);
    csb_close_from(FD_STATUS + 1);
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (csb_set_limit(RLIMIT_CORE, 0) != 0 ||
        csb_set_limit(RLIMIT_AS, cfg->memory_bytes > 0 ? cfg->memory_bytes : -1) != 0 ||
        csb_set_limit(RLIMIT_FSIZE, cfg->file_bytes) != 0 ||
        csb_set_limit(RLIMIT_NOFILE, cfg->open_files < 8 ? 8 : cfg->open_files) != 0 ||
        (cfg->processes > 0 && csb_set_limit(RLIMIT_NPROC, cfg->processes) != 0))
        csb_fail_setup(CSANDBOX_STAGE_RLIMIT);
    if (cfg->cpu_seconds > 0) {
        struct rlimit rl = {(rlim_t)cfg->cpu_seconds, (rlim_t)cfg->cpu_seconds + 1};
        if (setrlimit(RLIMIT_CPU, &rl) != 0) csb_fail_setup(CSANDBOX_STAGE_RLIMIT);
    }
    if (ctx->drop) {
        uid_t uid = (uid_t)cfg->run_uid;
        if (csb_setgroups_none() != 0) csb_fail_setup(CSANDBOX_STAGE_SETGROUPS);
        if (csb_setresgid(uid) != 0) csb_fail_setup(CSANDBOX_STAGE_SETGID);
        if (csb_setresuid(uid) != 0) csb_fail_setup(CSANDBOX_STAGE_SETUID);
        if (csb_setresuid(0) == 0 || geteuid() != uid) { errno = EPERM; csb_fail_setup(CSANDBOX_STAGE_SETUID); }
    }
#ifdef __linux__
    // After the uid change, which clears the parent-death signal; then make sure C2 did not die meanwhile.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != ctx->init_pid) _exit(127);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) csb_fail_setup(CSANDBOX_STAGE_NO_NEW_PRIVS);
    if (!cfg->no_namespaces && csb_install_syscall_filter() == 0) csb_send_message(MSG_ISOLATION, ISO_SECCOMP, 0, 0);
#endif
    if (chdir(cfg->workdir) != 0) csb_fail_setup(CSANDBOX_STAGE_CHDIR);
    execve(cfg->path, (char *const *)cfg->argv, (char *const *)cfg->envp);
    csb_fail_setup(CSANDBOX_STAGE_EXEC);
    _exit(127);
}

// C2: pid 1 of the sandbox's pid namespace (or a plain waiter without one). Reports C3's wait status.
static void run_init(const csb_context *ctx) __attribute__((noreturn));
static void run_init(const csb_context *ctx) {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if ((ctx->isolation & ISO_PID) && (ctx->isolation & ISO_MOUNTNS))
        (void)mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
#endif
    csb_context mine = *ctx;
    mine.init_pid = getpid();
    pid_t program = csb_fork();
    if (program < 0) csb_fail_setup(CSANDBOX_STAGE_FORK);
    if (program == 0) run_program(&mine);
    close(FD_OUT);
    close(FD_ERR);
    close(FD_NULL);
    for (;;) {
        int status = 0;
        struct rusage ru;
        pid_t w = wait4(-1, &status, 0, &ru);
        if (w == program) {
            int64_t usec = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
                           (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
            csb_send_message(MSG_STATUS, status, usec, 0);
            break;
        }
        if (w < 0 && errno != EINTR) break;
    }
    _exit(0);  // in a pid namespace the kernel now SIGKILLs whatever the program left behind
}

// C1: process group, namespaces, mounts; then forks C2 and waits for it.
static void run_setup(csb_context *ctx, int status_w, int out_w, int err_w, int null_fd) __attribute__((noreturn));
static void run_setup(csb_context *ctx, int status_w, int out_w, int err_w, int null_fd) {
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != ctx->parent_pid) _exit(127);
#endif
    setpgid(0, 0);
    // Move our four descriptors to 3..6, point 0..2 at /dev/null, close everything inherited from the parent.
    int moved[4] = {fcntl(status_w, F_DUPFD, 64), fcntl(out_w, F_DUPFD, 64), fcntl(err_w, F_DUPFD, 64),
                    fcntl(null_fd, F_DUPFD, 64)};
    for (int i = 0; i < 4; i++)
        if (moved[i] < 0 || dup2(moved[i], FD_STATUS + i) < 0) _exit(127);
    dup2(FD_NULL, 0);
    dup2(FD_NULL, 1);
    dup2(FD_NULL, 2);
    csb_close_from(FD_NULL + 1);
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    // Into the memory cgroup first, so that every process the program makes is counted together.
    int grouped = 0;
    if (ctx->cgroup) {
        int fd = open(ctx->cgroup, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            char *e = csb_append_number(ctx->scratch, getpid());
            grouped = csb_write_all(fd, ctx->scratch, (size_t)(e - ctx->scratch)) == 0;
            close(fd);
        }
    }
#ifdef __linux__
    if (!ctx->cfg->no_namespaces) ctx->isolation = csb_unshare_namespaces(ctx->scratch);
    if (ctx->isolation & ISO_MOUNTNS) csb_isolate_filesystem(ctx);
#endif
    if (grouped) ctx->isolation |= ISO_MEMCG;
    csb_send_message(MSG_ISOLATION, ctx->isolation, ctx->remount_failures, 0);
    pid_t init = csb_fork();
    if (init < 0) csb_fail_setup(CSANDBOX_STAGE_FORK);
    if (init == 0) run_init(ctx);
    close(FD_STATUS);
    close(FD_OUT);
    close(FD_ERR);
    close(FD_NULL);
    int status;
    while (waitpid(init, &status, 0) < 0 && errno == EINTR) {}
    _exit(0);
}

// MARK: - Parent

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
    int fd;             // -1 once at end of file
    char *keep;         // capture buffer
    size_t cap, len, total;
} stream;

// Reads what is available (non-blocking); returns 0 at end of file, 1 when more may come.
static int pump(stream *s, char *chunk, size_t chunk_cap) {
    if (s->fd < 0) return 0;
    for (int rounds = 0; rounds < 64; rounds++) {
        ssize_t n = read(s->fd, chunk, chunk_cap);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return 1;  // EAGAIN: nothing right now
        if (n == 0) { close(s->fd); s->fd = -1; return 0; }
        size_t room = s->cap - s->len, take = (size_t)n < room ? (size_t)n : room;
        memcpy(s->keep + s->len, chunk, take);
        s->len += take;
        s->total += (size_t)n;
    }
    return 1;
}

static int make_pipe(int fds[2]) {
#ifdef __linux__
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

// Reads the status pipe's records into `res`; `timed_out` decides between TIMED_OUT and LOST.
static void decode_messages(const char *bytes, size_t len, int timed_out, csandbox_result *res) {
    int have_status = 0, status = 0, failed = 0;
    for (size_t off = 0; off + sizeof(csb_message) <= len; off += sizeof(csb_message)) {
        csb_message m;
        memcpy(&m, bytes + off, sizeof m);
        if (m.tag == MSG_ISOLATION && m.a == ISO_SECCOMP) {
            res->syscall_filter = 1;
        } else if (m.tag == MSG_ISOLATION) {
            res->net_isolated = (m.a & ISO_NET) != 0;
            res->fs_isolated = (m.a & ISO_FS) != 0;
            res->pid_isolated = (m.a & ISO_PID) != 0;
            res->scratch_private = (m.a & ISO_SCRATCH) != 0;
            res->user_namespace = (m.a & ISO_USERNS) != 0;
            res->remount_failures = (int)m.b;
            res->paths_hidden = (m.a & ISO_HIDDEN) != 0;
            res->memory_grouped = (m.a & ISO_MEMCG) != 0;
        } else if (m.tag == MSG_SETUP_ERROR && !failed) {
            failed = 1;
            res->setup_stage = m.a;
            res->setup_errno = (int)m.b;
        } else if (m.tag == MSG_STATUS) {
            have_status = 1;
            status = m.a;
            res->cpu_seconds = (double)m.b * 1e-6;
        }
    }
    if (failed) res->outcome = CSANDBOX_SETUP_FAILED;
    else if (timed_out) res->outcome = CSANDBOX_TIMED_OUT;
    else if (!have_status) res->outcome = CSANDBOX_LOST;
    else if (WIFEXITED(status)) { res->outcome = CSANDBOX_EXITED; res->exit_code = WEXITSTATUS(status); }
    else if (WIFSIGNALED(status)) { res->outcome = CSANDBOX_SIGNALED; res->signal = WTERMSIG(status); }
    else res->outcome = CSANDBOX_LOST;
}

// Waits for C1 while pumping the pipes; kills the group on the wall-clock deadline. Returns 1 on time-out.
static int supervise(pid_t pid, double deadline, stream *streams, char *chunk, size_t chunk_cap) {
    for (;;) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) return 0;
        double left = deadline - now_seconds();
        if (left <= 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            return 1;
        }
        struct pollfd pfd[3];
        int n = 0, status_open = streams[2].fd >= 0;
        for (int i = 0; i < 3; i++)
            if (streams[i].fd >= 0) pfd[n++] = (struct pollfd){.fd = streams[i].fd, .events = POLLIN};
        int wait_ms = (int)(left * 1000) + 1, cap_ms = status_open ? 50 : 2;
        poll(pfd, (nfds_t)n, wait_ms < cap_ms ? wait_ms : cap_ms);
        for (int i = 0; i < 3; i++) pump(&streams[i], chunk, chunk_cap);
    }
}

// The folder of the caller's own cgroup in the hierarchy mounted at `mount` (v2: the "0::" line of
// /proc/self/cgroup; v1: the line whose controllers include memory), so that a run's cgroup is made under it and
// stays inside every limit the caller is under (a container's, a systemd slice's). When that folder is not visible
// (a container that mounts only its own subtree but shows the host's paths), the mount itself is the caller's.
static void own_cgroup(int v2, const char *mount, char *out, size_t cap) {
    snprintf(out, cap, "%s", mount);
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *first = strchr(line, ':');
        char *second = first ? strchr(first + 1, ':') : NULL;
        if (!second) continue;
        *second = 0;
        const char *controllers = first + 1, *path = second + 1;
        int match = 0;
        if (v2) match = strncmp(line, "0:", 2) == 0 && controllers[0] == 0;
        else {
            char list[512];
            snprintf(list, sizeof list, ",%s,", controllers);
            match = strstr(list, ",memory,") != NULL;
        }
        if (!match) continue;
        // A path outside this process's cgroup namespace ("/.." at its start) is not under the mount.
        if (strncmp(path, "/..", 3) == 0) break;
        char candidate[4096];
        struct stat st;
        snprintf(candidate, sizeof candidate, "%s%s", mount, strcmp(path, "/") == 0 ? "" : path);
        if (stat(candidate, &st) == 0 && S_ISDIR(st.st_mode)) snprintf(out, cap, "%s", candidate);
        break;
    }
    fclose(f);
}

// Whether `file` (a cgroup's controller list) names the memory controller.
static int lists_memory(const char *file) {
    char text[512] = {0};
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t got = read(fd, text, sizeof text - 1);
    close(fd);
    if (got <= 0) return 0;
    text[got] = 0;
    char list[520];
    snprintf(list, sizeof list, " %s ", text);
    for (char *c = list; *c; c++) if (*c == '\n') *c = ' ';
    return strstr(list, " memory ") != NULL;
}


// A memory cgroup of its own for one run (as root: cgroup v2 with the memory controller, else v1's memory
// hierarchy), limited to `bytes` without swap; `dir` gets its folder and `procs` the file a process joins it by.
// Returns 1 when made. Under v1 it is made under the caller's own cgroup. Under v2 a cgroup's children get a memory
// limit only where it delegates the controller (`cgroup.subtree_control`), which a cgroup holding processes (the
// caller's own, usually) cannot do: the run's cgroup is made under the nearest cgroup at or above the caller's that
// delegates it (a systemd slice, the root), so the limits of that cgroup and those above it still hold. Where none
// does, no cgroup is made and the per-process limits stand alone (the result says so).
static int make_memory_cgroup(long long bytes, char *dir, char *procs, size_t cap) {
    static int counter;
    if (bytes <= 0 || geteuid() != 0) return 0;
    int n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    int v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    char base[4096], path[4200], value[32];
    own_cgroup(v2, v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory", base, sizeof base);
    if (v2) {
        for (;;) {
            snprintf(path, sizeof path, "%s/cgroup.subtree_control", base);
            if (lists_memory(path)) break;
            char *cut = strrchr(base, '/');
            if (strcmp(base, "/sys/fs/cgroup") == 0 || !cut) return 0;
            *cut = 0;
        }
    } else if (access(base, W_OK) != 0) {
        return 0;
    }
    const char *limit = v2 ? "memory.max" : "memory.limit_in_bytes";
    const char *swap = v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
    snprintf(dir, cap, "%s/mimic-sandbox-%d-%d", base, (int)getpid(), n);
    if (mkdir(dir, 0700) != 0) return 0;
    snprintf(path, sizeof path, "%s/%s", dir, limit);
    snprintf(value, sizeof value, "%lld", bytes);
    if (csb_write_file(path, value) != 0) { rmdir(dir); return 0; }
    snprintf(path, sizeof path, "%s/%s", dir, swap);
    if (!v2) snprintf(value, sizeof value, "%lld", bytes);  // v1 counts memory + swap together
    else snprintf(value, sizeof value, "0");
    (void)csb_write_file(path, value);
    snprintf(procs, cap, "%s/cgroup.procs", dir);
    return 1;
}

// Kills whatever is still in a run's cgroup (a process that left the process group and kept the caller's uid),
// then removes the cgroup once it is empty (the kernel may take a moment). v2 kills the whole cgroup at once
// through `cgroup.kill` (Linux 5.14 and later); otherwise, and under v1, each process listed is killed.
static void remove_memory_cgroup(const char *dir) {
    char kill_file[4200], procs[4200];
    snprintf(kill_file, sizeof kill_file, "%s/cgroup.kill", dir);
    snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
    int killed_all = csb_write_file(kill_file, "1") == 0;
    for (int i = 0; i < 200 && rmdir(dir) != 0 && errno == EBUSY; i++) {
        // Each try kills what is listed again, so a process forked after an earlier read is killed too.
        FILE *f = killed_all ? NULL : fopen(procs, "re");
        if (f) {
            int pid;
            while (fscanf(f, "%d", &pid) == 1) if (pid > 1) kill(pid, SIGKILL);
            fclose(f);
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int csandbox_run(const csandbox_config *cfg, csandbox_result *res) {
    memset(res, 0, sizeof *res);
    size_t cap = cfg->capture_bytes;
    csb_context ctx = {.cfg = cfg, .parent_pid = getpid()};
    ctx.drop = cfg->run_uid > 0 && geteuid() == 0;
    ctx.scratch = malloc(SCRATCH_BYTES);
    char *status_bytes = malloc(4096);
    stream streams[3] = {{-1, malloc(cap + 1), cap, 0, 0}, {-1, malloc(cap + 1), cap, 0, 0},
                         {-1, status_bytes, 4096, 0, 0}};
    int out[2] = {-1, -1}, err[2] = {-1, -1}, st[2] = {-1, -1}, null_fd = -1, rc = 0;
    if (!ctx.scratch || !status_bytes || !streams[0].keep || !streams[1].keep) { rc = -ENOMEM; goto done; }
    if (make_pipe(out) != 0 || make_pipe(err) != 0 || make_pipe(st) != 0 ||
        (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) { rc = -errno; goto done; }
    if (ctx.drop) (void)chown(cfg->workdir, (uid_t)cfg->run_uid, (gid_t)cfg->run_uid);
    char cgroup_dir[4096], cgroup_procs[4200];
    int have_cgroup = !cfg->no_namespaces && make_memory_cgroup(cfg->group_memory_bytes, cgroup_dir, cgroup_procs, sizeof cgroup_dir);
    if (have_cgroup) ctx.cgroup = cgroup_procs;
    double start = now_seconds();
    pid_t pid = csb_fork();
    if (pid < 0) {
        rc = -errno;
        if (have_cgroup) remove_memory_cgroup(cgroup_dir);
        goto done;
    }
    if (pid == 0) run_setup(&ctx, st[1], out[1], err[1], null_fd);
    setpgid(pid, pid);
    close(out[1]); close(err[1]); close(st[1]); close(null_fd);
    out[1] = err[1] = st[1] = null_fd = -1;
    streams[0].fd = out[0]; streams[1].fd = err[0]; streams[2].fd = st[0];
    out[0] = err[0] = st[0] = -1;
    for (int i = 0; i < 3; i++) fcntl(streams[i].fd, F_SETFL, O_NONBLOCK);
    int timed_out = supervise(pid, start + cfg->wall_seconds, streams, ctx.scratch, SCRATCH_BYTES);
    // Always: the whole process group, then (as root) every process of the sandbox uid.
    kill(-pid, SIGKILL);
    if (ctx.drop) {
        res->uid_dropped = 1;
        (void)csandbox_kill_uid(cfg->run_uid);
    }
    for (int i = 0; i < 3; i++) pump(&streams[i], ctx.scratch, SCRATCH_BYTES);
    if (have_cgroup) remove_memory_cgroup(cgroup_dir);
    res->wall_seconds = now_seconds() - start;
    decode_messages(status_bytes, streams[2].len, timed_out, res);
    if (res->outcome == CSANDBOX_SETUP_FAILED &&
        (res->setup_stage <= CSANDBOX_STAGE_SETUID || res->setup_stage == CSANDBOX_STAGE_STAGE_FILES))
        res->uid_dropped = 0;
    res->out = streams[0].keep; res->out_len = streams[0].len; res->out_total = streams[0].total;
    res->err = streams[1].keep; res->err_len = streams[1].len; res->err_total = streams[1].total;
    streams[0].keep = streams[1].keep = NULL;
done:
    for (int i = 0; i < 3; i++) if (streams[i].fd >= 0) close(streams[i].fd);
    int all[] = {out[0], out[1], err[0], err[1], st[0], st[1], null_fd};
    for (int i = 0; i < 7; i++) if (all[i] >= 0) close(all[i]);
    free(streams[0].keep);
    free(streams[1].keep);
    free(status_bytes);
    free(ctx.scratch);
    return rc;
}

void csandbox_result_free(csandbox_result *res) {
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
    res->out_len = res->err_len = 0;
}

const char *csandbox_stage_name(int stage) {
    static const char *names[] = {"none", "fork", "stdio", "rlimit", "setgroups", "setgid", "setuid",
                                  "no_new_privs", "chdir", "exec", "stage_files"};
    return stage >= 0 && stage <= CSANDBOX_STAGE_STAGE_FILES ? names[stage] : "unknown";
}
