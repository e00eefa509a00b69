/*
 * The AppImage's runtime: the program at the front of Hoody-Desktop-VERSION-x86_64.AppImage,
 * before the squashfs image of the app that follows it in the same file (AppImage type 2).
 *
 * Run, it mounts that image read-only with FUSE at a fresh /tmp/.mount_hoody-XXXXXX (through
 * fusermount3, as an ordinary user), runs its AppRun there with APPIMAGE, APPDIR, ARGV0 and
 * OWD set, serves the image's files until AppRun's process exits (the app runs itself again with
 * exec, keeping its pid, so that is the app's end), then unmounts and exits as the app did.
 * Signals that end programs are passed on to the app.
 *
 * Why our own: Tauri's AppImage bundler downloads linuxdeploy and the AppImage project's runtime
 * from GitHub as it builds, which a machine without the internet cannot; Debian ships the same
 * parts (squashfuse's library, libfuse3), linked in statically here.
 *
 * Options, as other AppImages take them: --appimage-extract [PATH] unpacks the image into
 * ./squashfs-root (without FUSE), --appimage-mount mounts it and prints where until interrupted,
 * --appimage-offset prints where the image starts, --appimage-help.
 */
#define _GNU_SOURCE
#include <squashfuse/ll.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *self_name = "Hoody Desktop's AppImage";

static void fail(const char *what) {
  fprintf(stderr, "%s: %s\n", self_name, what);
  exit(1);
}

/* Where the image starts: the end of this ELF file (its section headers come last). */
static off_t elf_end(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  Elf64_Ehdr header;
  if (fd < 0 || pread(fd, &header, sizeof header, 0) != sizeof header) fail("cannot read itself");
  close(fd);
  if (memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64)
    fail("is not a 64-bit ELF file");
  return (off_t)(header.e_shoff + (off_t)header.e_shentsize * header.e_shnum);
}

/* Whether `name` is an executable file in one of PATH's directories (or /usr/bin, where
 * libfuse looks first). */
static int on_path(const char *name) {
  char candidate[PATH_MAX];
  snprintf(candidate, sizeof candidate, "/usr/bin/%s", name);
  if (access(candidate, X_OK) == 0) return 1;
  const char *path = getenv("PATH");
  if (!path) return 0;
  char *dirs = strdup(path), *saved = NULL;
  int found = 0;
  for (char *dir = strtok_r(dirs, ":", &saved); dir && !found; dir = strtok_r(NULL, ":", &saved)) {
    snprintf(candidate, sizeof candidate, "%s/%s", dir, name);
    found = access(candidate, X_OK) == 0;
  }
  free(dirs);
  return found;
}

/* FUSE needs the kernel's device and the setuid helper that mounts for ordinary users: say
 * which is missing and what to do, rather than failing somewhere in libfuse. */
static void require_fuse(const char *appimage) {
  const char *missing = NULL;
  if (access("/dev/fuse", R_OK | W_OK) != 0)
    missing = errno == ENOENT ? "the kernel's FUSE device, /dev/fuse (sudo modprobe fuse)"
                              : "access to the kernel's FUSE device, /dev/fuse";
  else if (!on_path("fusermount3"))
    missing = "fusermount3, FUSE's mount helper (Debian, Ubuntu: sudo apt install fuse3)";
  if (!missing) return;
  fprintf(stderr,
          "%s cannot open itself: it mounts its files with FUSE, and this system lacks %s.\n"
          "Install that and start it again, or unpack it without FUSE:\n"
          "  %s --appimage-extract && ./squashfs-root/AppRun\n",
          self_name, missing, appimage);
  exit(1);
}

/* --appimage-extract: the image into ./squashfs-root, files, directories and links. */
static int extract(const char *appimage, off_t offset) {
  sqfs fs;
  int fd = open(appimage, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || sqfs_init(&fs, fd, offset) != SQFS_OK) fail("its image cannot be read (the file is damaged)");
  sqfs_traverse trv;
  if (sqfs_traverse_open(&trv, &fs, sqfs_inode_root(&fs)) != SQFS_OK) fail("its image has no root directory");
  if (mkdir("squashfs-root", 0755) != 0 && errno != EEXIST) fail("cannot make ./squashfs-root");
  sqfs_err err = SQFS_OK;
  char target[PATH_MAX + 32];
  static char buffer[1 << 16];
  while (sqfs_traverse_next(&trv, &err)) {
    if (trv.dir_end) continue;
    if (strstr(trv.path, "..")) fail("its image names a path outside itself");
    snprintf(target, sizeof target, "squashfs-root/%s", trv.path);
    sqfs_inode inode;
    if (sqfs_inode_get(&fs, &inode, sqfs_dentry_inode(&trv.entry)) != SQFS_OK) fail("its image is damaged");
    mode_t mode = inode.base.mode | sqfs_mode(inode.base.inode_type);
    if (S_ISDIR(mode)) {
      if (mkdir(target, mode & 07777) != 0 && errno != EEXIST) fail("cannot make a directory in ./squashfs-root");
    } else if (S_ISLNK(mode)) {
      char link[PATH_MAX];
      size_t size = sizeof link;
      if (sqfs_readlink(&fs, &inode, link, &size) != SQFS_OK) fail("its image is damaged (a link)");
      unlink(target);
      if (symlink(link, target) != 0) fail("cannot make a link in ./squashfs-root");
    } else if (S_ISREG(mode)) {
      int out = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0777);
      if (out < 0) fail("cannot write a file in ./squashfs-root");
      for (sqfs_off_t at = 0; at < (sqfs_off_t)inode.xtra.reg.file_size;) {
        sqfs_off_t size = sizeof buffer;
        if (sqfs_read_range(&fs, &inode, at, &size, buffer) != SQFS_OK) fail("its image is damaged (a file)");
        if (size <= 0 || write(out, buffer, size) != size) fail("cannot write a file in ./squashfs-root");
        at += size;
      }
      close(out);
    }
  }
  if (err != SQFS_OK) fail("its image is damaged (a directory)");
  sqfs_traverse_close(&trv);
  printf("squashfs-root\n");
  return 0;
}

static pid_t app = 0;

static void pass_on(int signal) {
  if (app > 0) kill(app, signal);
}

/* Serves the mounted image until `until` (a pidfd, or -1: a signal) says to stop. */
static void serve(struct fuse_session *session, int until) {
  struct fuse_buf buf = {.mem = NULL};
  struct pollfd fds[2] = {{.fd = fuse_session_fd(session), .events = POLLIN}, {.fd = until, .events = POLLIN}};
  while (!fuse_session_exited(session)) {
    if (poll(fds, until >= 0 ? 2 : 1, -1) < 0) {
      if (errno == EINTR && until >= 0) continue;
      break;
    }
    if (until >= 0 && fds[1].revents) break;
    if (!fds[0].revents) continue;
    int got = fuse_session_receive_buf(session, &buf);
    if (got == -EINTR || got == -EAGAIN) continue;
    if (got <= 0) break;
    fuse_session_process_buf(session, &buf);
  }
  free(buf.mem);
}

int main(int argc, char **argv) {
  char appimage[PATH_MAX];
  ssize_t length = readlink("/proc/self/exe", appimage, sizeof appimage - 1);
  if (length <= 0) fail("cannot find itself (/proc/self/exe)");
  appimage[length] = 0;
  off_t offset = elf_end(appimage);

  const char *option = argc > 1 && strncmp(argv[1], "--appimage-", 11) == 0 ? argv[1] + 11 : NULL;
  if (option && strcmp(option, "offset") == 0) return printf("%lld\n", (long long)offset) < 0;
  if (option && strcmp(option, "extract") == 0) return extract(appimage, offset);
  if (option && strcmp(option, "help") == 0) {
    printf("%s [ARGS…] runs Hoody Desktop; or:\n"
           "  --appimage-extract   unpack it into ./squashfs-root (no FUSE needed)\n"
           "  --appimage-mount     mount it and print where, until interrupted\n"
           "  --appimage-offset    print where its image starts\n",
           appimage);
    return 0;
  }
  if (option && strcmp(option, "mount") != 0) {
    fprintf(stderr, "%s: unknown option %s (see --appimage-help)\n", self_name, argv[1]);
    return 2;
  }
  require_fuse(appimage);

  char mountpoint[PATH_MAX];
  const char *tmp = getenv("TMPDIR");
  snprintf(mountpoint, sizeof mountpoint, "%s/.mount_hoody-XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
  if (!mkdtemp(mountpoint)) fail("cannot make a directory to mount itself on (in $TMPDIR or /tmp)");
  sqfs_ll *ll = sqfs_ll_open(appimage, offset);
  if (!ll) fail("its image cannot be read (the file is damaged, or not an AppImage)");
  char *fuse_argv[] = {argv[0], "-o", "ro,fsname=hoody-desktop.AppImage,subtype=hoody-appimage", NULL};
  struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
  struct fuse_lowlevel_ops ops = {
      .lookup = sqfs_ll_op_lookup,   .forget = sqfs_ll_op_forget,       .getattr = sqfs_ll_op_getattr,
      .readlink = sqfs_ll_op_readlink, .open = sqfs_ll_op_open,         .read = sqfs_ll_op_read,
      .release = sqfs_ll_op_release, .opendir = sqfs_ll_op_opendir,     .readdir = sqfs_ll_op_readdir,
      .releasedir = sqfs_ll_op_releasedir, .statfs = stfs_ll_op_statfs, .getxattr = sqfs_ll_op_getxattr,
      .listxattr = sqfs_ll_op_listxattr,
  };
  sqfs_ll_chan channel;
  if (sqfs_ll_mount(&channel, mountpoint, &args, &ops, sizeof ops, ll) != SQFS_OK) {
    rmdir(mountpoint);
    fail("cannot mount itself with FUSE (fusermount3 refused: see above)");
  }
  fcntl(fuse_session_fd(channel.session), F_SETFD, FD_CLOEXEC);

  if (option) { /* --appimage-mount */
    printf("%s\n", mountpoint);
    fflush(stdout);
    fuse_set_signal_handlers(channel.session);
    serve(channel.session, -1);
    sqfs_ll_unmount(&channel, mountpoint);
    rmdir(mountpoint);
    return 0;
  }

  app = fork();
  if (app < 0) fail("cannot start the app (fork)");
  if (app == 0) {
    char apprun[PATH_MAX + 8], cwd[PATH_MAX];
    snprintf(apprun, sizeof apprun, "%s/AppRun", mountpoint);
    setenv("APPIMAGE", appimage, 1);
    setenv("APPDIR", mountpoint, 1);
    setenv("ARGV0", argv[0], 1);
    if (getcwd(cwd, sizeof cwd)) setenv("OWD", cwd, 1);
    argv[0] = apprun;
    execv(apprun, argv);
    fprintf(stderr, "%s: cannot run %s: %s\n", self_name, apprun, strerror(errno));
    _exit(127);
  }
  int pidfd = (int)syscall(SYS_pidfd_open, app, 0);
  if (pidfd < 0) fail("cannot watch the app (pidfd_open: Linux 5.3 or newer is needed)");
  struct sigaction forward = {.sa_handler = pass_on};
  for (int s = 0, ends[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT}; s < 4; s++) sigaction(ends[s], &forward, NULL);

  serve(channel.session, pidfd);
  int status = 0;
  while (waitpid(app, &status, 0) < 0 && errno == EINTR) {}
  sqfs_ll_unmount(&channel, mountpoint);
  rmdir(mountpoint);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
