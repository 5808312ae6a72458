// sandbox_internal.h: what sandbox.c, isolation.c and support.c share (not part of the public C API).
#ifndef CSANDBOX_INTERNAL_H
#define CSANDBOX_INTERNAL_H

#include "csandbox.h"

#include <stdint.h>
#include <sys/types.h>

#define SCRATCH_BYTES (256 * 1024)
#define MAX_STAGED 8
// Fixed descriptor numbers inside C1/C2/C3.
#define FD_STATUS 3
#define FD_OUT 4
#define FD_ERR 5
#define FD_NULL 6

// Records on the status pipe (one write each, atomic): isolation bits, a failed setup step, the wait status.
enum { MSG_ISOLATION = 1, MSG_SETUP_ERROR = 2, MSG_STATUS = 3 };
enum { ISO_NET = 1, ISO_FS = 2, ISO_PID = 4, ISO_SCRATCH = 8, ISO_USERNS = 16, ISO_MOUNTNS = 32, ISO_SECCOMP = 64,
       ISO_HIDDEN = 128, ISO_MEMCG = 256 };

typedef struct {
    int32_t tag;
    int32_t a;
    int64_t b;
    int64_t c;
} csb_message;

typedef struct {
    const csandbox_config *cfg;
    char *scratch;         // SCRATCH_BYTES, allocated by the parent before fork
    pid_t parent_pid;
    int drop;              // 1 when C3 switches to cfg->run_uid
    int isolation;         // ISO_* bits, filled in C1
    int remount_failures;
    pid_t init_pid;        // C2's pid as C3 sees it (1 inside a pid namespace)
    const char *cgroup;    // the memory cgroup C1 joins (its cgroup.procs file), or NULL
} csb_context;

// Child-side helpers (async-signal-safe: no malloc, no stdio). Hidden: not exported from the library.
#define CSB_HIDDEN __attribute__((visibility("hidden")))

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

// fork() without glibc's pthread_atfork handlers: the clone system call with only SIGCHLD, which copies the
// process as fork does. The handlers are the danger in a multithreaded parent: OpenBLAS's shuts down its thread
// pool, and a matrix product running meanwhile in another thread of mimic then waits for it forever (seen: a
// test's sgemm spinning while the sandbox forked). The children run only async-signal-safe code, which needs
// none of what the handlers would reset.
static inline pid_t csb_fork(void) { return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); }

// Credentials changed by the system calls themselves. glibc's setuid family would broadcast the change to every
// thread it believes the process has, and after csb_fork the child still lists the parent's threads.
static inline int csb_setgroups_none(void) { return (int)syscall(SYS_setgroups, 0, (void *)0); }
static inline int csb_setresgid(gid_t g) { return (int)syscall(SYS_setresgid, g, g, g); }
static inline int csb_setresuid(uid_t u) { return (int)syscall(SYS_setresuid, u, u, u); }
CSB_HIDDEN void csb_send_message(int32_t tag, int32_t a, int64_t b, int64_t c);
CSB_HIDDEN void csb_fail_setup(int stage) __attribute__((noreturn));
CSB_HIDDEN int csb_write_all(int fd, const char *p, size_t n);
// Writes `text` to the existing file `path` (a /proc or cgroup file): 0 when all of it was written.
CSB_HIDDEN int csb_write_file(const char *path, const char *text);
CSB_HIDDEN char *csb_append_number(char *s, long long v);
CSB_HIDDEN char *csb_append_text(char *s, const char *t);
CSB_HIDDEN void csb_close_from(int lowest);
CSB_HIDDEN int csb_set_limit(int resource, long long value);

#ifdef __linux__
// isolation.c (Linux): namespaces, read-only mounts and scratch tmpfs (in C1), the seccomp filter (in C3).
CSB_HIDDEN int csb_unshare_namespaces(char *buf);
CSB_HIDDEN void csb_isolate_filesystem(csb_context *ctx);
CSB_HIDDEN int csb_install_syscall_filter(void);
#endif

#endif
