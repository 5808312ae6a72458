// support.c: the per-uid process sweep (count and kill through /proc and kill(-1)) and gzip reading (zlib).
#define _GNU_SOURCE
#include "sandbox_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#ifdef __linux__
#include <sys/prctl.h>
#endif

int csandbox_count_uid_processes(long long uid, int include_zombies) {
#ifdef __linux__
    DIR *proc = opendir("/proc");
    if (!proc) return -errno;
    int count = 0;
    char path[64], text[4096];
    for (struct dirent *entry; (entry = readdir(proc)) != NULL; ) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9' || strlen(entry->d_name) > 20) continue;
        char *e = csb_append_text(path, "/proc/");
        e = csb_append_text(e, entry->d_name);
        csb_append_text(e, "/status");
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;  // exited meanwhile
        ssize_t n = read(fd, text, sizeof text - 1);
        close(fd);
        if (n <= 0) continue;
        text[n] = 0;
        const char *state = strstr(text, "\nState:\t"), *ids = strstr(text, "\nUid:\t");
        if (!state || !ids || (!include_zombies && (state[8] == 'Z' || state[8] == 'X'))) continue;
        long long real = -1, effective = -1, saved = -1;
        if (sscanf(ids + 6, "%lld %lld %lld", &real, &effective, &saved) == 3 &&
            (real == uid || effective == uid || saved == uid))
            count++;
    }
    closedir(proc);
    return count;
#else
    (void)uid;
    return -ENOSYS;
#endif
}

// One round: a helper that becomes `uid` and calls kill(-1, SIGKILL), which reaches every process of that uid
// (kill(-1) returns 0 whenever any other process exists, so the parent counts survivors through /proc).
static int kill_uid_round(long long uid) {
    pid_t helper = csb_fork();
    if (helper < 0) return -errno;
    if (helper == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        if (csb_setgroups_none() != 0 || csb_setresgid((gid_t)uid) != 0 ||
            csb_setresuid((uid_t)uid) != 0 || getuid() != (uid_t)uid) _exit(1);
        kill(-1, SIGKILL);
        kill(-1, SIGKILL);
        _exit(0);
    }
    int status;
    while (waitpid(helper, &status, 0) < 0) if (errno != EINTR) return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

int csandbox_kill_uid(long long uid) {
    if (uid <= 0 || geteuid() != 0) return -EPERM;
    struct timespec pause = {0, 2000000};
    int round = 0;
    for (; round < 200; round++) {
        int alive = csandbox_count_uid_processes(uid, 0);
        if (alive == 0) break;
        if (alive == -ENOSYS) {  // no /proc (macOS): three blind rounds
            for (int blind = 0; blind < 3; blind++) {
                int rc = kill_uid_round(uid);
                if (rc != 0) return rc;
                nanosleep(&pause, NULL);
            }
            return 3;
        }
        int rc = kill_uid_round(uid);
        if (rc != 0) return rc;
        if (round > 0) nanosleep(&pause, NULL);
    }
    if (round == 200) return -EAGAIN;
    // Killed processes whose parent died were reparented to init; until it reaps them they still count
    // against this uid's RLIMIT_NPROC. Wait for that (up to 2 s; never needed inside a pid namespace).
    for (int wait = 0; wait < 1000 && csandbox_count_uid_processes(uid, 1) > 0; wait++) nanosleep(&pause, NULL);
    return round;
}

int csandbox_gunzip_file(const char *path, char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) return errno ? -errno : -ENOMEM;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : -ENOMEM;
    while (rc == 0) {
        if (cap - len < (1 << 16)) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) { rc = -ENOMEM; break; }
            buf = bigger;
            cap *= 2;
        }
        int n = gzread(gz, buf + len, (unsigned)(cap - len));
        if (n < 0) {
            int zerr;
            gzerror(gz, &zerr);
            rc = zerr == Z_ERRNO ? -errno : -EILSEQ;
        } else if (n == 0) {
            break;
        } else {
            len += (size_t)n;
        }
    }
    gzclose(gz);
    if (rc != 0) { free(buf); return rc; }
    *out = buf;
    *out_len = len;
    return 0;
}
