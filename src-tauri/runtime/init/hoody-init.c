/*
 * hoody-init: the first program of every container, run by runc as the container's PID 1
 * before the image's /sbin/init, which it then becomes (exec, same pid).
 *
 * Why it exists: runc sets the container up (mounts, masked and read-only paths) in a mount
 * namespace owned by the container's user namespace, whose root could then unmount a mask
 * (`umount /proc/sys`) or mount a fresh /proc beside it and read what the mask hid. The
 * kernel locks mounts for good when a mount namespace is copied into a less privileged user
 * namespace: this program makes that copy. It makes a child user namespace mapping every id
 * of runc's one to itself (the container's root is the same host uid as before), with its own
 * mount (the locked copy), UTS, IPC and cgroup namespaces, and runs the init there. runc's
 * user namespace keeps the pid and network namespaces: the engine's network helper and
 * firewall act there, out of the container's reach.
 *
 * A new user namespace starts with every capability, so the bounding set is narrowed again to
 * the container's (--caps MASK). Then it loads the container's seccomp filter (--seccomp FILE:
 * raw BPF, compiled when hoody-enter is built and written out by `hoody-enter seccomp`; runc's
 * own compile of the same profile took ~7 ms of every start), and unless the container allows
 * nesting (--nesting), a second filter refuses further user namespaces (clone and unshare with
 * CLONE_NEWUSER; clone3 is answered ENOSYS by the first) — the first allows them. `hoody-enter
 * join` reads which it is from the init's filter count (one, or two), which no process can
 * lower. Nothing of the image runs before both are in place.
 *
 * Static, without a C library of the image's: it runs in any root (busybox, distroless).
 * It is bind-mounted at /dev/.hoody-init by runc (the filter beside it) and removes both before
 * it goes on.
 *
 * Usage: hoody-init --caps HEXMASK --seccomp FILE [--nesting] -- PROGRAM [ARGS...]
 * On failure it says why on the console (prefixed "hoody-init:") and exits 125.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SELF "/dev/.hoody-init"
#define FAILED 125
#define USAGE "usage: hoody-init --caps HEXMASK --seccomp FILE [--nesting] -- PROGRAM [ARGS...]"

static void fail(const char *what) {
    dprintf(2, "hoody-init: %s: %s\n", what, strerror(errno));
    _exit(FAILED);
}

static void fail_plain(const char *what) {
    dprintf(2, "hoody-init: %s\n", what);
    _exit(FAILED);
}

/* Writes to /proc/PID/NAME ("uid_map" or "gid_map") the identity map of every id this
 * process's user namespace has: each line "inside outside count" becomes "inside inside count". */
static void write_identity_map(pid_t pid, const char *name) {
    char path[64], map[4096], line[64];
    snprintf(path, sizeof path, "/proc/self/%s", name);
    FILE *own = fopen(path, "re");
    if (!own) fail("cannot read this namespace's id map");
    size_t used = 0;
    unsigned long inside, outside, count;
    while (fscanf(own, "%lu %lu %lu", &inside, &outside, &count) == 3) {
        int n = snprintf(line, sizeof line, "%lu %lu %lu\n", inside, inside, count);
        if (n < 0 || used + (size_t)n >= sizeof map) fail_plain("the id map is too long");
        memcpy(map + used, line, (size_t)n);
        used += (size_t)n;
    }
    fclose(own);
    if (used == 0) fail_plain("this namespace has no id map");
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, map, used) != (ssize_t)used) fail("cannot write the container's id map");
    close(fd);
}

/* Refuses CLONE_NEWUSER to clone and unshare, for x86-64 (and x32) and i386 callers. */
static void refuse_nested_user_namespaces(void) {
    struct sock_filter code[] = {
        /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        /* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
        /* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        /* 3 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~0x40000000u), /* x32 numbers as x86-64's */
        /* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 56, 6, 0),      /* clone */
        /* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 272, 5, 4),     /* unshare */
        /* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 3),
        /* 7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        /* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 120, 2, 0),     /* clone */
        /* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 310, 1, 0),     /* unshare */
        /* 10 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* 11: the flags, the first argument of both (its low word on a little-endian host) */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        /* 12 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 1, 0),
        /* 13 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        /* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    };
    struct sock_fprog program = {.len = sizeof code / sizeof code[0], .filter = code};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0)
        fail("cannot load the filter refusing nested user namespaces");
}

/* The container's filter, read from `path` (then unmounted and removed): at most the kernel's
 * longest program. */
static struct sock_filter filter[BPF_MAXINSNS];
static unsigned short filter_length;

static void read_filter(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open the container's seccomp filter");
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, (char *)filter + used, sizeof filter - used);
        if (n < 0) fail("cannot read the container's seccomp filter");
        if (n == 0) break;
        used += (size_t)n;
        if (used == sizeof filter) fail_plain("the container's seccomp filter is too long");
    }
    close(fd);
    if (used == 0 || used % sizeof filter[0] != 0) fail_plain("the container's seccomp filter is damaged");
    filter_length = (unsigned short)(used / sizeof filter[0]);
    if (umount2(path, MNT_DETACH) != 0) fail("cannot unmount the container's seccomp filter");
    if (unlink(path) != 0 && errno != ENOENT) fail("cannot remove the container's seccomp filter");
}

static void load_filter(void) {
    struct sock_fprog program = {.len = filter_length, .filter = filter};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0)
        fail("cannot load the container's seccomp filter");
}

/* Keeps in the bounding set only the capabilities of `keep` (bit N: capability N). */
static void narrow_bounding_set(uint64_t keep) {
    for (int cap = 0; cap < 64; cap++) {
        if (keep & (1ull << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
            if (errno == EINVAL) break; /* past the last capability this kernel knows */
            fail("cannot narrow the capability bounding set");
        }
    }
}

int main(int argc, char **argv) {
    uint64_t caps = 0;
    int have_caps = 0, nesting = 0, program = 0;
    const char *seccomp = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--caps") == 0 && i + 1 < argc) {
            char *end;
            caps = strtoull(argv[++i], &end, 16);
            have_caps = *end == 0;
        } else if (strcmp(argv[i], "--seccomp") == 0 && i + 1 < argc) {
            seccomp = argv[++i];
        } else if (strcmp(argv[i], "--nesting") == 0) {
            nesting = 1;
        } else if (strcmp(argv[i], "--") == 0 && i + 1 < argc) {
            program = i + 1;
            break;
        } else {
            fail_plain(USAGE);
        }
    }
    if (!have_caps || !seccomp || !program) fail_plain(USAGE);
    /* Nothing but the console goes on to the container (runc hands over no more, but a
     * descriptor here would be the host's). */
    syscall(SYS_close_range, 3u, ~0u, 0u);
    /* Gone before the copy below would lock it in place. */
    if (umount2(SELF, MNT_DETACH) != 0) fail("cannot unmount " SELF);
    if (unlink(SELF) != 0 && errno != ENOENT) fail("cannot remove " SELF);
    read_filter(seccomp);

    /* go: the init tells the mapper its namespaces are made; done: the mapper says the maps
     * are written. The init goes on at that word, not at the mapper's exit: the mapper holds the
     * last reference to runc's mount namespace, whose teardown waits for an RCU grace period.
     * The image's init reaps it, as an init reaps every child it did not start. */
    int go[2], done[2];
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(done, O_CLOEXEC) != 0) fail("pipe");
    pid_t self = getpid();
    pid_t mapper = fork();
    if (mapper < 0) fail("fork");
    if (mapper == 0) {
        /* Stays in runc's user namespace, where it may write the new one's maps. */
        char byte;
        close(go[1]);
        close(done[0]);
        if (read(go[0], &byte, 1) != 1) _exit(FAILED); /* the init failed and said why */
        write_identity_map(self, "uid_map");
        write_identity_map(self, "gid_map");
        if (write(done[1], "x", 1) != 1) _exit(FAILED);
        _exit(0);
    }
    close(go[0]);
    close(done[1]);
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP) != 0)
        fail("cannot make the container's own namespaces");
    if (write(go[1], "x", 1) != 1) fail("cannot tell the id mapper to go on");
    close(go[1]);
    char written;
    if (read(done[0], &written, 1) != 1) fail_plain("the container's id maps could not be written");
    close(done[0]);
    /* Root of the new namespace by its map now; the ids of the process change to match. */
    if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) fail("cannot become the container's root");
    narrow_bounding_set(caps);
    load_filter();
    if (!nesting) refuse_nested_user_namespaces();
    execv(argv[program], argv + program);
    dprintf(2, "hoody-init: cannot run %s: %s\n", argv[program], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}
