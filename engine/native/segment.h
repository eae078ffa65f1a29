// segment.h — what sits on disk: the record format, data and hint files, the
// file helpers that turn errno into coded errors, and the record reader that
// checks every record's crc and tells a torn tail from corruption.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dynkv {

// An engine failure with a stable code (ENOSPC, EIO, ELOCKED, ECORRUPT, ...).
class EngineError : public std::runtime_error {
 public:
  EngineError(std::string code, const std::string& message) : std::runtime_error(message), code(std::move(code)) {}
  std::string code;
};

EngineError systemError(int err, const std::string& what);

constexpr size_t kFileHeader = 8;  // the magic below
constexpr size_t kRecordHeader = 29;
constexpr uint8_t kTombstone = 1;
constexpr uint32_t kMaxKeyLen = 512u * 1024 * 1024;
// A record's value is a string in its version record (causal context,
// siblings): room for a 512 MiB string (proto-max-bulk-len's cap) and its
// context. Records stay below 2 GiB, so offsets fit 32 bits.
constexpr uint32_t kMaxValueLen = 1024u * 1024 * 1024;
extern const uint8_t kDataMagic[kFileHeader];
extern const uint8_t kHintMagic[kFileHeader];

// crc32c u32 | timestamp u64 | expire-at u64 | flags u8 | key len u32 | value len u32 | key | value
// (little-endian; the crc covers everything after itself).
struct RecordMeta {
  uint64_t timestamp = 0;
  uint64_t expireAt = 0;
  uint8_t flags = 0;
  uint32_t keyLen = 0;
  uint32_t valueLen = 0;
  uint64_t size() const { return kRecordHeader + uint64_t(keyLen) + valueLen; }
  bool tombstone() const { return (flags & kTombstone) != 0; }
};

void encodeRecord(uint8_t* dst, const RecordMeta& m, const uint8_t* key, const uint8_t* value);
bool decodeHeader(const uint8_t* src, RecordMeta& m, uint32_t& crc);

std::string dataPath(const std::string& dir, uint32_t id);
// Ids of the NNNNNNNNNN.data files in dir, ascending; when asked to, removes
// leftovers of a crash: *.tmp files (an unfinished merge, hint or repair)
// and hint files whose data file is gone.
std::vector<uint32_t> listSegments(const std::string& dir, bool removeLeftovers);
std::string hintPath(const std::string& dir, uint32_t id);

void writeAll(int fd, const uint8_t* data, size_t len, uint64_t offset, const std::string& path);
void readAll(int fd, uint8_t* dst, size_t len, uint64_t offset, const std::string& path);
void syncFile(int fd, const std::string& path);
void syncDir(const std::string& dir);
uint64_t fileSize(int fd, const std::string& path);

// A sliding window over a file, read in 1 MiB steps into one reused buffer.
class FileWindow {
 public:
  FileWindow(int fd, uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  // n bytes at off, valid until the next call; nullptr past the end of the file.
  const uint8_t* at(uint64_t off, size_t n);
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  int fd_;
  uint64_t size_;
  std::string path_;
  std::unique_ptr<uint8_t[]> buf_;
  size_t bufCap_ = 0;
  uint64_t bufStart_ = 0;
  size_t bufLen_ = 0;
};

// Reads the records of a data file in order, checking each crc.
class RecordReader {
 public:
  enum Status { kOk, kEnd, kBad };
  // Reads from `start` on (a record boundary: the first record by default).
  RecordReader(int fd, uint64_t size, std::string path, uint64_t start = kFileHeader);
  Status next();
  // After kOk: the record just read.
  uint64_t offset() const { return recordOffset_; }
  const RecordMeta& meta() const { return meta_; }
  const std::string& key() const { return key_; }
  // After kBad: whether the bad bytes look like a write cut short at the end
  // of the file (incomplete record, or nothing but zeros after it).
  bool tornTail() const { return torn_; }
  uint64_t badOffset() const { return pos_; }
  // Moves past a bad record to the next offset where a valid record starts;
  // false when none does before the end of the file.
  bool resync();

 private:
  bool validAt(uint64_t off, bool* torn);
  bool zerosFrom(uint64_t off);

  FileWindow file_;
  uint64_t size_;
  uint64_t pos_ = kFileHeader;
  uint64_t recordOffset_ = 0;
  RecordMeta meta_;
  std::string key_;
  bool torn_ = false;
};

// One hint per record of a data file, so an open need not read values.
struct HintEntry {
  uint8_t flags;
  uint32_t off;
  uint32_t size;
  uint64_t expireAt;
  const uint8_t* key;
  uint32_t keyLen;
};

class HintWriter {
 public:
  HintWriter(std::string path, uint64_t dataSize);
  ~HintWriter();
  void add(uint8_t flags, uint32_t off, uint32_t size, uint64_t expireAt, const uint8_t* key, uint32_t keyLen);
  void finish();  // trailer, fsync, close

 private:
  void flushBuffer();
  std::string path_;
  int fd_ = -1;
  std::vector<uint8_t> buf_;
  uint64_t written_ = 0;
  uint32_t crc_ = 0;
};

// Calls `fn` for each entry of a valid hint file covering exactly `dataSize`
// bytes; false (and no call) when the hint is missing, stale or damaged.
bool readHints(const std::string& path, uint64_t dataSize, const std::function<void(const HintEntry&)>& fn);

}  // namespace dynkv
