// segment.cc — record encoding, file I/O helpers, the checking record reader
// and hint files (header | entries | crc32c | end magic).
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "hashing.h"

namespace dynkv {

const uint8_t kDataMagic[kFileHeader] = {'D', 'Y', 'N', 'K', 'V', 'L', 'G', '1'};
const uint8_t kHintMagic[kFileHeader] = {'D', 'Y', 'N', 'K', 'V', 'H', 'T', '1'};
static const uint8_t kHintEnd[8] = {'D', 'Y', 'N', 'K', 'H', 'E', 'N', 'D'};
static constexpr size_t kHintEntryHeader = 21;
static constexpr size_t kReadChunk = 1 << 20;

EngineError systemError(int err, const std::string& what) {
  const char* name = strerrorname_np(err);
  return EngineError(name != nullptr ? name : "EIO", what + ": " + strerror(err));
}

template <typename T>
static inline void put(uint8_t*& p, T v) {
  std::memcpy(p, &v, sizeof(T));
  p += sizeof(T);
}
template <typename T>
static inline T get(const uint8_t*& p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  p += sizeof(T);
  return v;
}

void encodeRecord(uint8_t* dst, const RecordMeta& m, const uint8_t* key, const uint8_t* value) {
  uint8_t* p = dst + 4;
  put<uint64_t>(p, m.timestamp);
  put<uint64_t>(p, m.expireAt);
  put<uint8_t>(p, m.flags);
  put<uint32_t>(p, m.keyLen);
  put<uint32_t>(p, m.valueLen);
  if (m.keyLen > 0) std::memcpy(p, key, m.keyLen);
  if (m.valueLen > 0) std::memcpy(p + m.keyLen, value, m.valueLen);
  uint32_t crc = crc32c(0, dst + 4, m.size() - 4);
  std::memcpy(dst, &crc, 4);
}

bool decodeHeader(const uint8_t* src, RecordMeta& m, uint32_t& crc) {
  const uint8_t* p = src;
  crc = get<uint32_t>(p);
  m.timestamp = get<uint64_t>(p);
  m.expireAt = get<uint64_t>(p);
  m.flags = get<uint8_t>(p);
  m.keyLen = get<uint32_t>(p);
  m.valueLen = get<uint32_t>(p);
  return m.keyLen <= kMaxKeyLen && m.valueLen <= kMaxValueLen && (m.flags & ~kTombstone) == 0 &&
         (!m.tombstone() || m.valueLen == 0);
}

static std::string numberedPath(const std::string& dir, uint32_t id, const char* ext) {
  char name[32];
  std::snprintf(name, sizeof(name), "/%010u.%s", id, ext);
  return dir + name;
}
std::string dataPath(const std::string& dir, uint32_t id) { return numberedPath(dir, id, "data"); }
std::string hintPath(const std::string& dir, uint32_t id) { return numberedPath(dir, id, "hint"); }

// The id of a file named NNNNNNNNNN.<ext> (10 digits), or -1.
static int64_t numberedId(const std::string& name, const char* ext) {
  if (name.size() != 15 || name.compare(10, 5, ext) != 0 ||
      !std::all_of(name.begin(), name.begin() + 10, [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return int64_t(std::stoul(name.substr(0, 10)));
}

std::vector<uint32_t> listSegments(const std::string& dir, bool removeLeftovers) {
  std::vector<uint32_t> ids, hints;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (removeLeftovers && name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
      std::filesystem::remove(entry.path());
      continue;
    }
    if (int64_t id = numberedId(name, ".data"); id >= 0) ids.push_back(uint32_t(id));
    if (int64_t id = numberedId(name, ".hint"); id >= 0) hints.push_back(uint32_t(id));
  }
  std::sort(ids.begin(), ids.end());
  // A hint whose data file is gone (a crash between the two deletions of a
  // merged segment, by versions that deleted the data file first) would
  // describe the next data file given its id, which a new segment gets once
  // the directory's newest files are all merged away: a file of the same
  // size would open from the stale hint, with another file's keys.
  if (removeLeftovers)
    for (uint32_t id : hints)
      if (!std::binary_search(ids.begin(), ids.end(), id)) std::filesystem::remove(hintPath(dir, id));
  return ids;
}

void writeAll(int fd, const uint8_t* data, size_t len, uint64_t offset, const std::string& path) {
  while (len > 0) {
    ssize_t n = ::pwrite(fd, data, len, off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw systemError(errno, "write to " + path);
    }
    data += n;
    len -= size_t(n);
    offset += uint64_t(n);
  }
}

void readAll(int fd, uint8_t* dst, size_t len, uint64_t offset, const std::string& path) {
  while (len > 0) {
    ssize_t n = ::pread(fd, dst, len, off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw systemError(errno, "read from " + path);
    }
    if (n == 0) throw EngineError("ECORRUPT", "unexpected end of " + path + " at offset " + std::to_string(offset));
    dst += n;
    len -= size_t(n);
    offset += uint64_t(n);
  }
}

void syncFile(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) throw systemError(errno, "fsync " + path);
}

void syncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw systemError(errno, "open directory " + dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw systemError(err, "fsync directory " + dir);
}

uint64_t fileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throw systemError(errno, "stat " + path);
  return uint64_t(st.st_size);
}

const uint8_t* FileWindow::at(uint64_t off, size_t n) {
  if (off + n > size_) return nullptr;
  if (off >= bufStart_ && off + n <= bufStart_ + bufLen_) return buf_.get() + (off - bufStart_);
  size_t want = n > kReadChunk ? n : kReadChunk;
  if (off + want > size_) want = size_t(size_ - off);
  if (bufCap_ < want) {
    buf_.reset(new uint8_t[want]);  // not zeroed: it is read into at once
    bufCap_ = want;
  }
  readAll(fd_, buf_.get(), want, off, path_);
  bufStart_ = off;
  bufLen_ = want;
  return buf_.get();
}

RecordReader::RecordReader(int fd, uint64_t size, std::string path, uint64_t start)
    : file_(fd, size, std::move(path)), size_(size), pos_(start) {}

bool RecordReader::zerosFrom(uint64_t off) {
  while (off < size_) {
    size_t n = size_t(size_ - off < kReadChunk ? size_ - off : kReadChunk);
    const uint8_t* p = file_.at(off, n);
    for (size_t i = 0; i < n; i++)
      if (p[i] != 0) return false;
    off += n;
  }
  return true;
}

// Checks the record at `off`; on success fills meta_/key_. *torn tells, on
// failure, whether the record runs past the end of the file.
bool RecordReader::validAt(uint64_t off, bool* torn) {
  *torn = false;
  if (size_ - off < kRecordHeader) {
    *torn = true;
    return false;
  }
  uint32_t stored;
  RecordMeta m;
  if (!decodeHeader(file_.at(off, kRecordHeader), m, stored)) return false;
  if (off + m.size() > size_) {
    *torn = true;
    return false;
  }
  const uint8_t* head = file_.at(off, kRecordHeader + m.keyLen);
  uint32_t crc = crc32c(0, head + 4, kRecordHeader - 4 + m.keyLen);
  key_.assign(reinterpret_cast<const char*>(head + kRecordHeader), m.keyLen);
  uint64_t at = off + kRecordHeader + m.keyLen, left = m.valueLen;
  while (left > 0) {
    size_t n = size_t(left < kReadChunk ? left : kReadChunk);
    crc = crc32c(crc, file_.at(at, n), n);
    at += n;
    left -= n;
  }
  if (crc != stored) {
    *torn = off + m.size() == size_;  // the last record of the file
    return false;
  }
  meta_ = m;
  return true;
}

RecordReader::Status RecordReader::next() {
  if (pos_ >= size_) return kEnd;
  bool torn;
  if (!validAt(pos_, &torn)) {
    torn_ = torn || zerosFrom(pos_);
    return kBad;
  }
  recordOffset_ = pos_;
  pos_ += meta_.size();
  return kOk;
}

bool RecordReader::resync() {
  bool torn;
  for (uint64_t off = pos_ + 1; off + kRecordHeader <= size_; off++) {
    if (validAt(off, &torn)) {
      pos_ = off;
      return true;
    }
  }
  pos_ = size_;
  return false;
}

HintWriter::HintWriter(std::string path, uint64_t dataSize) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw systemError(errno, "create " + path_);
  buf_.reserve(kReadChunk + 64);
  buf_.insert(buf_.end(), kHintMagic, kHintMagic + kFileHeader);
  buf_.resize(kFileHeader + 8);
  std::memcpy(buf_.data() + kFileHeader, &dataSize, 8);
}

HintWriter::~HintWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void HintWriter::add(uint8_t flags, uint32_t off, uint32_t size, uint64_t expireAt, const uint8_t* key,
                     uint32_t keyLen) {
  size_t at = buf_.size();
  buf_.resize(at + kHintEntryHeader + keyLen);
  uint8_t* p = buf_.data() + at;
  put<uint8_t>(p, flags);
  put<uint32_t>(p, keyLen);
  put<uint32_t>(p, off);
  put<uint32_t>(p, size);
  put<uint64_t>(p, expireAt);
  if (keyLen > 0) std::memcpy(p, key, keyLen);
  if (buf_.size() >= kReadChunk) flushBuffer();
}

void HintWriter::flushBuffer() {
  crc_ = crc32c(crc_, buf_.data(), buf_.size());
  writeAll(fd_, buf_.data(), buf_.size(), written_, path_);
  written_ += buf_.size();
  buf_.clear();
}

void HintWriter::finish() {
  flushBuffer();
  uint8_t trailer[12];
  std::memcpy(trailer, &crc_, 4);
  std::memcpy(trailer + 4, kHintEnd, 8);
  writeAll(fd_, trailer, sizeof(trailer), written_, path_);
  syncFile(fd_, path_);
  ::close(fd_);
  fd_ = -1;
}

bool readHints(const std::string& path, uint64_t dataSize, const std::function<void(const HintEntry&)>& fn) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  try {
    FileWindow file(fd, fileSize(fd, path), path);
    const uint64_t n = file.size();
    if (n < kFileHeader + 8 + 12) return false;
    const uint8_t* head = file.at(0, kFileHeader + 8);
    uint64_t covered;
    std::memcpy(&covered, head + kFileHeader, 8);
    if (std::memcmp(head, kHintMagic, kFileHeader) != 0 || covered != dataSize) return false;
    const uint8_t* tail = file.at(n - 12, 12);
    uint32_t stored;
    std::memcpy(&stored, tail, 4);
    if (std::memcmp(tail + 4, kHintEnd, 8) != 0) return false;
    // First pass: the crc and the entries' framing; nothing is applied from a damaged hint.
    const uint64_t end = n - 12;
    uint32_t crc = 0;
    for (uint64_t off = 0; off < end;) {
      size_t step = size_t(end - off < kReadChunk ? end - off : kReadChunk);
      crc = crc32c(crc, file.at(off, step), step);
      off += step;
    }
    if (crc != stored) return false;
    uint64_t off = kFileHeader + 8;
    while (off < end) {
      if (end - off < kHintEntryHeader) return false;
      uint32_t keyLen;
      std::memcpy(&keyLen, file.at(off + 1, 4), 4);
      if (end - off - kHintEntryHeader < keyLen) return false;
      off += kHintEntryHeader + keyLen;
    }
    // Second pass: apply.
    for (off = kFileHeader + 8; off < end;) {
      const uint8_t* p = file.at(off, kHintEntryHeader);
      HintEntry h;
      h.flags = get<uint8_t>(p);
      h.keyLen = get<uint32_t>(p);
      h.off = get<uint32_t>(p);
      h.size = get<uint32_t>(p);
      h.expireAt = get<uint64_t>(p);
      h.key = file.at(off, kHintEntryHeader + h.keyLen) + kHintEntryHeader;
      off += kHintEntryHeader + h.keyLen;
      fn(h);
    }
    return true;
  } catch (const EngineError& e) {
    std::fprintf(stderr, "dynkv: ignoring hint file %s: %s\n", path.c_str(), e.what());
    return false;
  }
}

}  // namespace dynkv
