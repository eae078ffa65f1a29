// test/helpers/powercut.c — an LD_PRELOAD shim for the power-cut tests
// (durability-powercut.test.ts): it records what a real power cut would
// keep. It wraps fsync and fdatasync for files and directories under
// $DYNKV_POWERCUT_DIR and, after each call that succeeds, appends to
// $DYNKV_POWERCUT_LOG (O_APPEND, fsynced) what that call made durable:
//   F dev:ino size        a file's bytes up to size (its size before the call)
//   D dev:ino name        a directory's entries (listed before the call), one
//                         line each: name -> dev:ino of what it names
// Snapshots are taken before the real call, so only what the call covers is
// recorded. $DYNKV_POWERCUT_DELAY_US sleeps that long before each data-dir
// fsync, widening the window in which a reply sent before its fsync ended
// would be caught. Calls that would sync outside the model (sync, syncfs,
// sync_file_range, msync) abort the process so a test cannot pass unknowingly.
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int (*sync_fn)(int);

static sync_fn real_fsync, real_fdatasync;
static const char* prefix;
static size_t prefix_len;
static int log_fd = -1;
static useconds_t delay_us;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((constructor)) static void init(void) {
  real_fsync = (sync_fn)dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = (sync_fn)dlsym(RTLD_NEXT, "fdatasync");
  prefix = getenv("DYNKV_POWERCUT_DIR");
  const char* log = getenv("DYNKV_POWERCUT_LOG");
  const char* delay = getenv("DYNKV_POWERCUT_DELAY_US");
  if (prefix == NULL || log == NULL) {
    prefix = NULL;
    return;
  }
  prefix_len = strlen(prefix);
  delay_us = delay != NULL ? (useconds_t)atol(delay) : 0;
  log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    perror("powercut: open log");
    abort();
  }
}

// Whether fd is a file or directory under the data dir.
static int watched(int fd) {
  if (prefix == NULL) return 0;
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  if (n < 0) return 0;
  target[n] = 0;
  return strncmp(target, prefix, prefix_len) == 0 && (target[prefix_len] == 0 || target[prefix_len] == '/');
}

static void append_log(const char* text, size_t len) {
  pthread_mutex_lock(&log_mu);
  while (len > 0) {
    ssize_t n = write(log_fd, text, len);
    if (n < 0) {
      perror("powercut: write log");
      abort();
    }
    text += n;
    len -= (size_t)n;
  }
  if (real_fsync(log_fd) != 0) {
    perror("powercut: fsync log");
    abort();
  }
  pthread_mutex_unlock(&log_mu);
}

// The entries of the directory open as fd, as "D dev:ino name dev:ino\n" lines (malloc'd).
static char* list_dir(int fd, const struct stat* dir, size_t* len) {
  size_t cap = 4096, used = 0;
  char* out = malloc(cap);
  int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
  if (out == NULL || d == NULL) {
    perror("powercut: list directory");
    abort();
  }
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // removed meanwhile
    size_t need = strlen(e->d_name) + 96;
    if (used + need > cap) {
      cap = (cap + need) * 2;
      out = realloc(out, cap);
      if (out == NULL) abort();
    }
    used += (size_t)snprintf(out + used, cap - used, "D %lu:%lu %s %lu:%lu\n", (unsigned long)dir->st_dev,
                             (unsigned long)dir->st_ino, e->d_name, (unsigned long)st.st_dev, (unsigned long)st.st_ino);
  }
  closedir(d);
  *len = used;
  return out;
}

static int wrapped(sync_fn real, int fd) {
  if (!watched(fd)) return real(fd);
  struct stat st;
  if (fstat(fd, &st) != 0) return real(fd);
  char* entries = NULL;
  size_t len = 0;
  char line[96];
  if (S_ISDIR(st.st_mode)) {
    entries = list_dir(fd, &st, &len);
  } else {
    len = (size_t)snprintf(line, sizeof(line), "F %lu:%lu %lld\n", (unsigned long)st.st_dev, (unsigned long)st.st_ino,
                           (long long)st.st_size);
  }
  if (delay_us > 0) usleep(delay_us);
  int rc = real(fd);
  if (rc == 0 && len > 0) append_log(entries != NULL ? entries : line, len);
  free(entries);
  return rc;
}

int fsync(int fd) { return wrapped(real_fsync, fd); }
int fdatasync(int fd) { return wrapped(real_fdatasync, fd); }

static void unmodelled(const char* name) {
  if (prefix == NULL) return;
  fprintf(stderr, "powercut: %s is not modelled by this shim\n", name);
  abort();
}

void sync(void) {
  unmodelled("sync");
  ((void (*)(void))dlsym(RTLD_NEXT, "sync"))();
}
int syncfs(int fd) {
  if (watched(fd)) unmodelled("syncfs");
  return ((int (*)(int))dlsym(RTLD_NEXT, "syncfs"))(fd);
}
int sync_file_range(int fd, off_t off, off_t n, unsigned int flags) {
  if (watched(fd)) unmodelled("sync_file_range");
  return ((int (*)(int, off_t, off_t, unsigned int))dlsym(RTLD_NEXT, "sync_file_range"))(fd, off, n, flags);
}
int msync(void* addr, size_t len, int flags) {
  unmodelled("msync");
  return ((int (*)(void*, size_t, int))dlsym(RTLD_NEXT, "msync"))(addr, len, flags);
}
