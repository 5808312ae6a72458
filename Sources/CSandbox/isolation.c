// isolation.c: Linux namespaces, read-only remount of every mount, private scratch tmpfs, seccomp filter.
// Runs in the sandbox's children after fork: async-signal-safe code only.
#define _GNU_SOURCE
#include "sandbox_internal.h"

#ifdef __linux__
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int csb_write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = csb_write_all(fd, text, strlen(text));
    close(fd);
    return rc;
}

// An unprivileged caller maps its own uid/gid into a fresh user namespace (needed for the other namespaces).
static int map_own_ids(uid_t uid, gid_t gid, char *buf) {
    char *e = csb_append_number(buf, uid);
    e = csb_append_text(e, " ");
    e = csb_append_number(e, uid);
    csb_append_text(e, " 1\n");
    if (csb_write_file("/proc/self/uid_map", buf) != 0) return -1;
    if (csb_write_file("/proc/self/setgroups", "deny") != 0) return -1;
    e = csb_append_number(buf, gid);
    e = csb_append_text(e, " ");
    e = csb_append_number(e, gid);
    csb_append_text(e, " 1\n");
    return csb_write_file("/proc/self/gid_map", buf);
}

// Unshares as many namespaces as the kernel allows; returns ISO_* bits for the ones obtained.
int csb_unshare_namespaces(char *buf) {
    const int wanted = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC;
    if (geteuid() != 0) {
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (unshare(CLONE_NEWUSER | wanted) == 0 && map_own_ids(uid, gid, buf) == 0)
            return ISO_USERNS | ISO_NET | ISO_MOUNTNS | ISO_PID;
        return 0;  // without a user namespace an unprivileged caller gets no namespaces at all
    }
    if (unshare(wanted) == 0) return ISO_NET | ISO_MOUNTNS | ISO_PID;
    int bits = 0;
    if (unshare(CLONE_NEWNET) == 0) bits |= ISO_NET;
    if (unshare(CLONE_NEWNS) == 0) bits |= ISO_MOUNTNS;
    if (unshare(CLONE_NEWPID) == 0) bits |= ISO_PID;
    (void)unshare(CLONE_NEWIPC);
    return bits;
}

// Decodes the octal escapes (\040 etc.) that /proc/self/mountinfo uses, in place.
static void unescape_mount_path(char *s) {
    char *w = s;
    for (char *r = s; *r; ) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
}

static int has_option(const char *opts, const char *name) {
    size_t n = strlen(name);
    for (const char *p = opts; *p; ) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0) return 1;
        if (!comma) break;
        p = comma + 1;
    }
    return 0;
}

static int is_at_or_under(const char *path, const char *dir) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

// Remounts every read-write mount except the work dir read-only (keeping nosuid/nodev/noexec/atime flags).
// Returns the number of mounts that could not be remounted (or 1 when mountinfo cannot be read whole).
static int remount_all_readonly(const char *workdir, char *buf, size_t cap) {
    int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 1;
    size_t len = 0;
    ssize_t n;
    while (len < cap - 1 && ((n = read(fd, buf + len, cap - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0) len += (size_t)n;
    close(fd);
    int failures = len >= cap - 1 ? 1 : 0;
    buf[len] = 0;
    for (char *line = buf; line && *line; ) {
        char *next = strchr(line, '\n');
        if (next) *next++ = 0;
        // Fields: id parent major:minor root mountpoint options ...
        char *field[6] = {0};
        char *p = line;
        for (int i = 0; i < 6 && p; i++) {
            field[i] = p;
            p = strchr(p, ' ');
            if (p) *p++ = 0;
        }
        line = next;
        if (!field[5]) continue;
        char *mountpoint = field[4], *opts = field[5];
        unescape_mount_path(mountpoint);
        if (has_option(opts, "ro") || is_at_or_under(mountpoint, workdir)) continue;
        unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
        if (has_option(opts, "nosuid")) flags |= MS_NOSUID;
        if (has_option(opts, "nodev")) flags |= MS_NODEV;
        if (has_option(opts, "noexec")) flags |= MS_NOEXEC;
        if (has_option(opts, "noatime")) flags |= MS_NOATIME;
        if (has_option(opts, "nodiratime")) flags |= MS_NODIRATIME;
        if (has_option(opts, "relatime")) flags |= MS_RELATIME;
        if (has_option(opts, "strictatime")) flags |= MS_STRICTATIME;
        if (mount(NULL, mountpoint, NULL, flags, NULL) != 0) failures++;
    }
    return failures;
}

// Copies the staged files (opened before the tmpfs covered them) into the fresh scratch directory.
static int copy_staged(const csandbox_config *cfg, const int *fds, int count, uid_t uid, int chown_them, char *buf) {
    for (int i = 0; i < count; i++) {
        char *path = buf;
        char *e = csb_append_text(path, cfg->workdir);
        e = csb_append_text(e, "/");
        csb_append_text(e, cfg->stage_files[i]);
        int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (out < 0) return -1;
        char *chunk = buf + 8192;
        ssize_t n;
        while ((n = read(fds[i], chunk, SCRATCH_BYTES - 8192)) != 0) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 || csb_write_all(out, chunk, (size_t)n) != 0) { close(out); return -1; }
        }
        if (chown_them && fchown(out, uid, uid) != 0) { close(out); return -1; }
        close(out);
        close(fds[i]);
    }
    return 0;
}

// Creates every missing folder of `path` (mode 0755, so the sandbox uid can pass through); 0 on success.
static int make_dirs(const char *path, char *buf) {
    size_t n = strlen(path);
    if (n == 0 || n >= 4096) return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char c = buf[i];
        buf[i] = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        buf[i] = c;
    }
    return 0;
}

// Covers each existing folder of `paths` (symlinks are left: what they point to is covered by its own entry)
// with a fresh tmpfs mounted with `options`; returns how many could not be covered.
static int cover(const char *const *paths, const char *options, unsigned long flags) {
    int failures = 0;
    for (int i = 0; paths && paths[i]; i++) {
        struct stat st;
        if (lstat(paths[i], &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (mount("tmpfs", paths[i], "tmpfs", flags, options) != 0) failures++;
    }
    return failures;
}

// In C1 after unshare(CLONE_NEWNS): private propagation, read-only everything, the hidden folders covered by empty
// tmpfs mounts (homes, the project, the cache, /tmp, /run, /dev/shm: no secret or socket file of the host stays in
// reach), and a size-limited tmpfs over the work dir (its folder made again inside a covered one).
void csb_isolate_filesystem(csb_context *ctx) {
    const csandbox_config *cfg = ctx->cfg;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return;
    int fds[MAX_STAGED], count = 0;
    for (; cfg->stage_files && count < MAX_STAGED && cfg->stage_files[count]; count++) {
        char *e = csb_append_text(ctx->scratch, cfg->workdir);
        e = csb_append_text(e, "/");
        csb_append_text(e, cfg->stage_files[count]);
        if ((fds[count] = open(ctx->scratch, O_RDONLY | O_CLOEXEC)) < 0) csb_fail_setup(CSANDBOX_STAGE_STAGE_FILES);
    }
    // The work dir becomes its own mount so that the read-only remount of its parent leaves it writable.
    if (mount(cfg->workdir, cfg->workdir, NULL, MS_BIND | MS_REC, NULL) != 0) return;
    ctx->remount_failures = remount_all_readonly(cfg->workdir, ctx->scratch, SCRATCH_BYTES);
    if (ctx->remount_failures == 0) ctx->isolation |= ISO_FS;
    uid_t owner = ctx->drop ? (uid_t)cfg->run_uid : getuid();
    gid_t group = ctx->drop ? (gid_t)cfg->run_uid : getgid();
    if (cover(cfg->hide_paths, "size=64k,nr_inodes=64,mode=0555", MS_NOSUID | MS_NODEV | MS_NOEXEC) == 0)
        ctx->isolation |= ISO_HIDDEN;
    char *e;
    if (make_dirs(cfg->workdir, ctx->scratch) != 0) {
        for (int i = 0; i < count; i++) close(fds[i]);
        csb_fail_setup(CSANDBOX_STAGE_STAGE_FILES);
    }
    e = csb_append_text(ctx->scratch, "size=");
    e = csb_append_number(e, cfg->scratch_bytes > 0 ? cfg->scratch_bytes : 64LL << 20);
    e = csb_append_text(e, ",nr_inodes=4096,mode=0700,uid=");
    e = csb_append_number(e, owner);
    e = csb_append_text(e, ",gid=");
    csb_append_number(e, group);
    if (mount("tmpfs", cfg->workdir, "tmpfs", MS_NOSUID | MS_NODEV, ctx->scratch) != 0) {
        for (int i = 0; i < count; i++) close(fds[i]);
        // With the folders covered, the work dir is the empty one made above, without the staged files: refuse.
        if (ctx->isolation & ISO_HIDDEN) csb_fail_setup(CSANDBOX_STAGE_STAGE_FILES);
        return;  // the program then runs in the (writable, bind-mounted) host work dir
    }
    ctx->isolation |= ISO_SCRATCH;
    if (copy_staged(cfg, fds, count, owner, ctx->drop, ctx->scratch) != 0) csb_fail_setup(CSANDBOX_STAGE_STAGE_FILES);
}

#if defined(__x86_64__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SANDBOX_AUDIT_ARCH
#define DENY_NR(nr) \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
// Refuses what could undo the namespaces and read-only mounts from inside (new user namespaces, which grant
// mount rights, mount/unmount, setns) and sends clone3 to clone (ENOSYS) so that its flags can be checked;
// refuses sockets of any family but IPv4 and IPv6 (a UNIX socket reaches a daemon through a socket file, which no
// namespace hides; netlink talks to the kernel), and the kernel interfaces a program has no business with
// (io_uring, which bypasses this filter, bpf, perf events, keyrings, userfaultfd).
int csb_install_syscall_filter(void) {
    const unsigned namespaces = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC |
                                CLONE_NEWUTS | CLONE_NEWCGROUP;
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),  // other ABIs (int 0x80) get nothing
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),  // x32 numbering
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#endif
        DENY_NR(SYS_unshare), DENY_NR(SYS_setns), DENY_NR(SYS_mount), DENY_NR(SYS_umount2),
        DENY_NR(SYS_pivot_root), DENY_NR(SYS_chroot),
#ifdef SYS_fsopen
        DENY_NR(SYS_fsopen), DENY_NR(SYS_fsmount), DENY_NR(SYS_fspick), DENY_NR(SYS_move_mount),
        DENY_NR(SYS_open_tree),
#endif
#ifdef SYS_mount_setattr
        DENY_NR(SYS_mount_setattr),
#endif
#ifdef SYS_io_uring_setup
        DENY_NR(SYS_io_uring_setup), DENY_NR(SYS_io_uring_enter), DENY_NR(SYS_io_uring_register),
#endif
        DENY_NR(SYS_bpf), DENY_NR(SYS_perf_event_open), DENY_NR(SYS_keyctl), DENY_NR(SYS_add_key),
        DENY_NR(SYS_request_key),
#ifdef SYS_userfaultfd
        DENY_NR(SYS_userfaultfd),
#endif
        // socket(domain, …): IPv4 and IPv6 pass (the network namespace has no interface up), every other family fails.
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
#ifdef SYS_clone3
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, namespaces, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {(unsigned short)(sizeof code / sizeof code[0]), code};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
}
#else
int csb_install_syscall_filter(void) { errno = ENOSYS; return -1; }
#endif
#endif
