// repair.cc — the salvage entry point: rewrites each damaged data file with
// every record whose crc still checks, drops its hint file, and reports the
// byte ranges it dropped by file and offset. The engine must not be open.
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "engine.h"

namespace dynkv {
namespace fs = std::filesystem;

namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void salvage(const std::string& dir, uint32_t id, RepairReport& report) {
  const std::string path = dataPath(dir, id);
  const std::string name = fs::path(path).filename().string();
  Fd in{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) throw systemError(errno, "open " + path);
  const uint64_t size = fileSize(in.fd, path);
  report.segments++;
  std::vector<std::pair<uint64_t, uint64_t>> keep;  // offset, length
  size_t drops = report.dropped.size();
  uint8_t magic[kFileHeader] = {0};
  if (size >= kFileHeader) readAll(in.fd, magic, kFileHeader, 0, path);
  if (size < kFileHeader || std::memcmp(magic, kDataMagic, kFileHeader) != 0)
    report.dropped.push_back({name, 0, std::min<uint64_t>(size, kFileHeader)});
  if (size > kFileHeader) {
    RecordReader reader(in.fd, size, path);
    for (;;) {
      RecordReader::Status st = reader.next();
      if (st == RecordReader::kEnd) break;
      if (st == RecordReader::kOk) {
        keep.emplace_back(reader.offset(), reader.meta().size());
        continue;
      }
      uint64_t from = reader.badOffset();
      bool found = reader.resync();
      uint64_t to = found ? reader.badOffset() : size;
      report.dropped.push_back({name, from, to - from});
      if (!found) break;
    }
  }
  report.records += keep.size();
  if (report.dropped.size() == drops) return;
  const std::string tmp = path + ".tmp";
  Fd out{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (out.fd < 0) throw systemError(errno, "create " + tmp);
  writeAll(out.fd, kDataMagic, kFileHeader, 0, tmp);
  uint64_t at = kFileHeader;
  std::vector<uint8_t> buf;
  for (const auto& [off, len] : keep) {
    buf.resize(len);
    readAll(in.fd, buf.data(), len, off, path);
    writeAll(out.fd, buf.data(), len, at, tmp);
    at += len;
  }
  syncFile(out.fd, tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw systemError(errno, "rename " + tmp);
  if (::unlink(hintPath(dir, id).c_str()) != 0 && errno != ENOENT) throw systemError(errno, "delete hint of " + path);
}

}  // namespace

RepairReport Engine::repair(const std::string& dir) {
  std::string lockPath = dir + "/LOCK";
  Fd lock{::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
  if (lock.fd < 0) throw systemError(errno, "open " + lockPath);
  if (::flock(lock.fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) throw EngineError("ELOCKED", "data directory " + dir + " is in use by an engine");
    throw systemError(errno, "lock " + lockPath);
  }
  std::vector<uint32_t> ids = listSegments(dir, true);
  RepairReport report;
  for (uint32_t id : ids) salvage(dir, id, report);
  syncDir(dir);
  return report;
}

}  // namespace dynkv
