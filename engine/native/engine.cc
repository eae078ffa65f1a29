// engine.cc — opening a data directory (lock, recovery from hints or scans,
// torn-tail truncation), the read and write paths of the JS thread, stats
// and close. The syncer and the worker live in syncer.cc and merge.cc.
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "hashing.h"

namespace dynkv {
namespace fs = std::filesystem;

void Segment::mapFile(size_t len) {
  if (map != nullptr || fd < 0 || len == 0) return;
  void* p = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return;  // reads fall back to pread
  map = static_cast<const uint8_t*>(p);
  mapLen = len;
}

void Segment::unmap() {
  if (map != nullptr) ::munmap(const_cast<uint8_t*>(map), mapLen);
  map = nullptr;
  mapLen = 0;
}

uint64_t Engine::nowMs() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

Engine::Engine(std::string dir, const EngineOptions& options, EventSink sink)
    : dir_(std::move(dir)), opt_(options), fsync_(options.fsync), sink_(std::move(sink)) {
  if (opt_.segmentSize < 4096 || opt_.segmentSize > (2ull << 30))
    throw EngineError("EINVAL", "segment size must be between 4 KiB and 2 GiB");
  // The directory and the parents it lacks are made; each new entry is made
  // durable by an fsync of its parent, or a power cut could lose them all.
  std::error_code ec;
  std::vector<fs::path> made;
  for (fs::path p(dir_); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) made.push_back(p);
  fs::create_directories(dir_, ec);
  if (ec) throw systemError(ec.value(), "create directory " + dir_);
  for (const fs::path& p : made) syncDir(p.has_parent_path() ? p.parent_path().string() : ".");
  lockDirectory();
  try {
    recover();
  } catch (...) {
    for (auto& [id, s] : segments_) {
      s->unmap();
      if (s->fd >= 0) ::close(s->fd);
    }
    ::close(lockFd_);
    throw;
  }
  syncer_ = std::thread([this] { syncerLoop(); });
  worker_ = std::thread([this] { workerLoop(); });
}

Engine::~Engine() { close(); }

void Engine::lockDirectory() {
  std::string path = dir_ + "/LOCK";
  lockFd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lockFd_ < 0) throw systemError(errno, "open " + path);
  if (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char pid[32] = {0};
    ssize_t n = ::pread(lockFd_, pid, sizeof(pid) - 1, 0);
    ::close(lockFd_);
    if (err == EWOULDBLOCK)
      throw EngineError("ELOCKED", "data directory " + dir_ + " is in use by another engine (pid " +
                                       (n > 0 ? std::string(pid, size_t(n)) : std::string("unknown")) + ")");
    throw systemError(err, "lock " + path);
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(lockFd_, 0) != 0 || ::pwrite(lockFd_, pid.data(), pid.size(), 0) < 0) {
    int err = errno;
    ::close(lockFd_);
    throw systemError(err, "write " + path);
  }
}

void Engine::recover() {
  std::vector<uint32_t> ids = listSegments(dir_, true);
  for (size_t i = 0; i < ids.size(); i++) loadSegment(ids[i], i + 1 == ids.size());
  nextId_ = ids.empty() ? 1 : ids.back() + 1;
  active_ = newSegment(nextId_++);
  for (uint32_t id : ids)
    if (segments_.count(id) != 0 && !segments_[id]->hinted) tasks_.push_back({Task::kHint, id, false});
}

void Engine::loadSegment(uint32_t id, bool last) {
  std::string path = dataPath(dir_, id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw systemError(errno, "open " + path);
  auto seg = std::make_unique<Segment>();
  seg->id = id;
  seg->path = path;
  seg->fd = fd;
  seg->sealed = seg->synced = true;
  uint64_t size = fileSize(fd, path);
  uint8_t magic[kFileHeader];
  if (size < kFileHeader) {
    if (!last) throw EngineError("ECORRUPT", "corrupt data file " + path + ": truncated header at offset 0");
    // Created just before a crash: nothing was ever written to it.
    std::fprintf(stderr, "dynkv: warning: removing empty data file %s left by a crash\n", path.c_str());
    ::close(fd);
    fs::remove(path);
    return;
  }
  readAll(fd, magic, kFileHeader, 0, path);
  if (std::memcmp(magic, kDataMagic, kFileHeader) != 0) {
    ::close(fd);
    throw EngineError("ECORRUPT", "corrupt data file " + path + ": bad magic at offset 0");
  }
  Segment* s = seg.get();
  segments_[id] = std::move(seg);
  s->hinted = readHints(hintPath(dir_, id), size, [&](const HintEntry& h) {
    applyRecord(h.key, h.keyLen, (h.flags & kTombstone) != 0, Location{id, h.off, h.size, h.expireAt});
  });
  (s->hinted ? openedFromHints_ : openedByScan_)++;
  if (!s->hinted) {
    RecordReader reader(fd, size, path);
    for (;;) {
      RecordReader::Status st = reader.next();
      if (st == RecordReader::kEnd) break;
      if (st == RecordReader::kBad) {
        if (!last || !reader.tornTail())
          throw EngineError("ECORRUPT", "corrupt record in " + path + " at offset " +
                                            std::to_string(reader.badOffset()));
        std::fprintf(stderr, "dynkv: warning: truncating torn record at the end of %s at offset %llu (%llu bytes)\n",
                     path.c_str(), (unsigned long long)reader.badOffset(),
                     (unsigned long long)(size - reader.badOffset()));
        if (::truncate(path.c_str(), off_t(reader.badOffset())) != 0) throw systemError(errno, "truncate " + path);
        size = reader.badOffset();
        break;
      }
      const RecordMeta& m = reader.meta();
      applyRecord(reinterpret_cast<const uint8_t*>(reader.key().data()), m.keyLen, m.tombstone(),
                  Location{id, uint32_t(reader.offset()), uint32_t(m.size()), m.expireAt});
    }
  }
  s->size = s->diskEnd = size;
  s->mapFile(size);
}

void Engine::applyRecord(const uint8_t* key, uint32_t klen, bool tombstone, const Location& loc) {
  uint64_t hash = ringHash(key, klen);
  Location old;
  bool had = tombstone ? keydir_.remove(key, klen, hash, &old) : keydir_.set(key, klen, hash, loc, &old);
  if (had) segments_[old.seg]->dead += old.size;
  if (tombstone) segments_[loc.seg]->dead += loc.size;
}

Segment* Engine::newSegment(uint32_t id) {
  auto seg = std::make_unique<Segment>();
  seg->id = id;
  seg->path = dataPath(dir_, id);
  seg->size = kFileHeader;
  Segment* s = seg.get();
  segments_[id] = std::move(seg);
  return s;
}

void Engine::roll() {
  active_->sealed = true;
  sealedPending_.push_back(active_);
  active_ = newSegment(nextId_++);
}

void Engine::checkWritable(std::unique_lock<std::mutex>& lk) {
  if (closed_) throw EngineError("ECLOSED", "engine is closed");
  while (pendingBytes_ > opt_.maxPendingBytes && errorCode_.empty() && !stopping_) doneCv_.wait(lk);
  if (!errorCode_.empty())
    throw EngineError(errorCode_, "writes are failing: " + errorMessage_ + " (reads go on; retrying in the background)");
}

Location Engine::append(const RecordMeta& meta, const uint8_t* key, const uint8_t* value) {
  uint64_t size = meta.size();
  if (active_->size > kFileHeader && active_->size + size > opt_.segmentSize) roll();
  const bool wasEmpty = chunks_.empty();
  Chunk* c = wasEmpty ? nullptr : chunks_.back().get();
  if (c == nullptr || c->sealed || c->seg != active_ || c->data->size() + size > c->data->capacity()) {
    std::unique_ptr<WriteBuffer> buf;
    if (size <= kChunkCapacity && !spareBuffers_.empty()) {
      buf = std::move(spareBuffers_.back());
      spareBuffers_.pop_back();
    } else {
      buf = std::make_unique<WriteBuffer>(std::max<uint64_t>(size, kChunkCapacity));
    }
    chunks_.push_back(std::make_unique<Chunk>(Chunk{active_, active_->size, std::move(buf)}));
    c = chunks_.back().get();
  }
  encodeRecord(c->data->append(size), meta, key, value);
  Location loc{active_->id, uint32_t(active_->size), uint32_t(size), meta.expireAt};
  active_->size += size;
  pendingBytes_ += size;
  c->lastSeq = ++seq_;
  // The syncer sleeps with no timeout only when nothing is queued: wake it
  // for the first chunk; later puts wake it only when it should not wait.
  if (syncerIdle_ && (wasEmpty || fsync_ == FsyncMode::kAlways || pendingBytes_ >= kGatherBytes)) {
    syncerIdle_ = false;
    syncCv_.notify_one();
  }
  return loc;
}

uint64_t Engine::put(const uint8_t* key, uint32_t klen, const uint8_t* value, uint32_t vlen, uint64_t expireAt) {
  if (klen > kMaxKeyLen) throw EngineError("EINVAL", "key is larger than 512 MiB");
  if (vlen > kMaxValueLen) throw EngineError("EINVAL", "value is larger than 1 GiB");
  uint64_t hash = ringHash(key, klen);
  std::unique_lock<std::mutex> lk(mu_);
  checkWritable(lk);
  RecordMeta meta;
  meta.timestamp = nowMs();
  meta.expireAt = expireAt;
  meta.keyLen = klen;
  meta.valueLen = vlen;
  Location loc = append(meta, key, value);
  Location old;
  if (keydir_.set(key, klen, hash, loc, &old, vlen <= opt_.inlineValueMax ? value : nullptr)) segments_[old.seg]->dead += old.size;
  return seq_;
}

bool Engine::del(const uint8_t* key, uint32_t len) {
  uint64_t hash = ringHash(key, len);
  std::unique_lock<std::mutex> lk(mu_);
  if (closed_) throw EngineError("ECLOSED", "engine is closed");
  const KeyEntry* e = keydir_.find(key, len, hash);
  if (e == nullptr) return false;
  uint64_t exp = e->expireAt();
  bool live = exp == 0 || exp > nowMs();
  checkWritable(lk);
  appendTombstone(key, len, hash);
  return live;
}

void Engine::appendTombstone(const uint8_t* key, uint32_t len, uint64_t hash) {
  RecordMeta meta;
  meta.timestamp = nowMs();
  meta.flags = kTombstone;
  meta.keyLen = len;
  Location loc = append(meta, key, nullptr);
  active_->dead += loc.size;
  Location old;
  if (keydir_.remove(key, len, hash, &old)) segments_[old.seg]->dead += old.size;
}

bool Engine::expireIfDue(const uint8_t* key, uint32_t len) {
  uint64_t hash = ringHash(key, len);
  std::lock_guard<std::mutex> lk(mu_);
  if (closed_) throw EngineError("ECLOSED", "engine is closed");
  const KeyEntry* e = keydir_.find(key, len, hash);
  if (e == nullptr || !errorCode_.empty()) return false;
  uint64_t exp = e->expireAt();
  if (exp == 0 || exp > nowMs()) return false;
  appendTombstone(key, len, hash);
  return true;
}

uint64_t Engine::reclaimExpired(uint64_t from, size_t visit, bool reclaim, size_t* reclaimed, Keydir::TtlSample* ttl) {
  thread_local std::vector<const KeyEntry*> found;
  thread_local std::vector<std::string> keys;
  found.clear();
  keys.clear();
  std::unique_lock<std::mutex> lk(mu_);
  if (reclaim) checkWritable(lk);
  else if (closed_) throw EngineError("ECLOSED", "engine is closed");
  uint64_t next = keydir_.scan(from, UINT64_MAX, visit, nowMs(), true, found, ttl);
  if (!reclaim) found.clear();
  // Copy the keys first: each removal may move entries of the keydir.
  for (const KeyEntry* e : found) keys.emplace_back(reinterpret_cast<const char*>(e->key()), e->keyLen());
  for (const std::string& k : keys) {
    const uint8_t* key = reinterpret_cast<const uint8_t*>(k.data());
    appendTombstone(key, uint32_t(k.size()), ringHash(key, k.size()));
  }
  *reclaimed = keys.size();
  return next;
}

void Engine::readRecord(const Location& loc, uint32_t keyLen, uint8_t* dst) {
  Segment* s = segments_.at(loc.seg).get();
  uint32_t valueLen = loc.size - uint32_t(kRecordHeader) - keyLen;
  if (uint64_t(loc.off) + loc.size > s->diskEnd) {
    // Still in the write buffer.
    for (auto it = chunks_.rbegin(); it != chunks_.rend(); ++it) {
      const Chunk& c = **it;
      if (c.seg == s && c.start <= loc.off && loc.off < c.start + c.data->size()) {
        std::memcpy(dst, c.data->data() + (loc.off - c.start) + kRecordHeader + keyLen, valueLen);
        return;
      }
    }
    throw EngineError("EIO", "record at offset " + std::to_string(loc.off) + " of " + s->path + " is missing");
  }
  RecordMeta m;
  uint32_t stored;
  if (s->map != nullptr && uint64_t(loc.off) + loc.size <= s->mapLen) {
    const uint8_t* rec = s->map + loc.off;
    std::memcpy(dst, rec + kRecordHeader + keyLen, valueLen);
    uint32_t crc = crc32c(crc32c(0, rec + 4, kRecordHeader - 4 + keyLen), dst, valueLen);
    if (!decodeHeader(rec, m, stored) || crc != stored || m.keyLen != keyLen)
      throw EngineError("ECORRUPT", "corrupt record in " + s->path + " at offset " + std::to_string(loc.off));
    return;
  }
  thread_local std::vector<uint8_t> head;
  head.resize(kRecordHeader + keyLen);
  struct iovec iov[2] = {{head.data(), head.size()}, {dst, valueLen}};
  ssize_t n = ::preadv(s->fd, iov, 2, off_t(loc.off));
  if (n < 0) throw systemError(errno, "read from " + s->path);
  if (size_t(n) < loc.size) {
    // Short read: fetch the rest plainly.
    if (size_t(n) < head.size()) {
      readAll(s->fd, head.data() + n, head.size() - size_t(n), loc.off + uint64_t(n), s->path);
      readAll(s->fd, dst, valueLen, loc.off + head.size(), s->path);
    } else {
      size_t got = size_t(n) - head.size();
      readAll(s->fd, dst + got, valueLen - got, loc.off + uint64_t(n), s->path);
    }
  }
  uint32_t crc = crc32c(crc32c(0, head.data() + 4, head.size() - 4), dst, valueLen);
  if (!decodeHeader(head.data(), m, stored) || crc != stored || m.keyLen != keyLen)
    throw EngineError("ECORRUPT", "corrupt record in " + s->path + " at offset " + std::to_string(loc.off));
}

bool Engine::get(const uint8_t* key, uint32_t len, const std::function<uint8_t*(uint32_t)>& alloc, bool touch,
                 bool cache) {
  uint64_t hash = ringHash(key, len);
  std::lock_guard<std::mutex> lk(mu_);
  const KeyEntry* e = findLive(key, len, hash);
  if (e == nullptr) return false;
  if (touch) Keydir::touch(e, lruClock());
  uint32_t valueLen = e->size - uint32_t(kRecordHeader) - len;
  uint8_t* dst = alloc(valueLen);
  readValue(e, hash, key, len, dst, valueLen, cache);
  return true;
}

const KeyEntry* Engine::findLive(const uint8_t* key, uint32_t len, uint64_t hash) const {
  if (closed_) throw EngineError("ECLOSED", "engine is closed");
  const KeyEntry* e = keydir_.find(key, len, hash);
  if (e == nullptr) return nullptr;
  uint64_t exp = e->expireAt();
  return exp != 0 && exp <= nowMs() ? nullptr : e;
}

void Engine::readValue(const KeyEntry* e, uint64_t hash, const uint8_t* key, uint32_t len, uint8_t* dst,
                       uint32_t valueLen, bool cache) {
  if (const uint8_t* inlined = e->value()) {
    std::memcpy(dst, inlined, valueLen);
    return;
  }
  Location loc = e->location();
  readRecord(loc, len, dst);
  if (cache && valueLen <= opt_.inlineValueMax) keydir_.adoptValue(key, len, hash, loc.seg, loc.off, dst);
}

void Engine::prefetch(const uint8_t* keys, const uint32_t* lens, size_t n) {
  constexpr size_t kBatch = 64;
  uint64_t hashes[kBatch];
  const KeyEntry* found[kBatch];
  while (n > 0) {
    size_t m = n < kBatch ? n : kBatch;
    for (size_t i = 0; i < m; i++) {
      hashes[i] = ringHash(keys, lens[i]);
      keys += lens[i];
    }
    lens += m;
    n -= m;
    std::lock_guard<std::mutex> lk(mu_);
    if (closed_) return;
    keydir_.prefetch(hashes, m, found);
    for (size_t i = 0; i < m; i++) {
      if (found[i] == nullptr || found[i]->value() != nullptr) continue;
      auto it = segments_.find(found[i]->seg);
      if (it == segments_.end()) continue;
      const Segment* s = it->second.get();
      uint64_t off = found[i]->off, end = off + found[i]->size;
      if (s->map == nullptr || end > s->mapLen || end > s->diskEnd) continue;
      __builtin_prefetch(s->map + off);
      if (found[i]->size > 64) __builtin_prefetch(s->map + end - 1);
    }
  }
}

int64_t Engine::getInto(const uint8_t* key, uint32_t len, uint8_t* dst, size_t cap, bool touch) {
  uint64_t hash = ringHash(key, len);
  std::lock_guard<std::mutex> lk(mu_);
  const KeyEntry* e = findLive(key, len, hash);
  if (e == nullptr) return -1;
  if (touch) Keydir::touch(e, lruClock());
  uint32_t valueLen = e->size - uint32_t(kRecordHeader) - len;
  if (valueLen <= cap) readValue(e, hash, key, len, dst, valueLen);
  return valueLen;
}

int64_t Engine::idle(const uint8_t* key, uint32_t len) {
  uint64_t hash = ringHash(key, len);
  std::lock_guard<std::mutex> lk(mu_);
  const KeyEntry* e = findLive(key, len, hash);
  if (e == nullptr) return -1;
  return lruIdle(e->lru(), lruClock());
}

bool Engine::touch(const uint8_t* key, uint32_t len, uint32_t idleSeconds) {
  uint64_t hash = ringHash(key, len);
  std::lock_guard<std::mutex> lk(mu_);
  const KeyEntry* e = findLive(key, len, hash);
  if (e == nullptr) return false;
  Keydir::touch(e, (lruClock() - std::min(idleSeconds, kLruClockMax)) & kLruClockMax);
  return true;
}

bool Engine::info(const uint8_t* key, uint32_t len, uint64_t* expireAt, uint32_t* valueLen) {
  uint64_t hash = ringHash(key, len);
  std::lock_guard<std::mutex> lk(mu_);
  const KeyEntry* e = findLive(key, len, hash);
  if (e == nullptr) return false;
  *expireAt = e->expireAt();
  *valueLen = e->size - uint32_t(kRecordHeader) - len;
  return true;
}

uint64_t Engine::lastSeq() {
  std::lock_guard<std::mutex> lk(mu_);
  return seq_;
}

uint64_t Engine::scan(uint64_t from, uint64_t to, size_t count, std::vector<std::string>& keys) {
  thread_local std::vector<const KeyEntry*> found;
  found.clear();
  std::lock_guard<std::mutex> lk(mu_);
  if (closed_) throw EngineError("ECLOSED", "engine is closed");
  uint64_t next = keydir_.scan(from, to, count, nowMs(), false, found);
  for (const KeyEntry* e : found) keys.emplace_back(reinterpret_cast<const char*>(e->key()), e->keyLen());
  return next;
}

EngineStats Engine::stats() {
  std::lock_guard<std::mutex> lk(mu_);
  EngineStats st{keydir_.size(), keydir_.expiring(), 0, 0, 0, pendingBytes_, keydir_.memoryBytes(), merges_, errorMessage_};
  st.fsyncs = fsyncs_;
  st.keydirMoves = keydir_.moves();
  st.merging = merging_;
  st.lastMergeFailed = lastMergeFailed_;
  st.openedFromHints = openedFromHints_;
  st.openedByScan = openedByScan_;
  for (const auto& [id, s] : segments_) {
    if (s->size <= kFileHeader) continue;
    st.segments++;
    st.deadBytes += s->dead;
    st.liveBytes += s->size - kFileHeader - s->dead;
  }
  return st;
}

uint64_t Engine::durableSeqLocked() const { return fsync_ == FsyncMode::kAlways ? syncedSeq_ : writtenSeq_; }

void Engine::setFsync(FsyncMode mode) {
  std::lock_guard<std::mutex> lk(mu_);
  fsync_ = mode;
  // Whatever was written before counts as durable under the new mode at the next fsync.
  forceSyncSeq_ = std::max(forceSyncSeq_, seq_);
  syncerIdle_ = false;
  syncCv_.notify_one();
}

uint64_t Engine::notifyAt(uint64_t seq) {
  std::lock_guard<std::mutex> lk(mu_);
  waitSeq_ = std::max(waitSeq_, seq);
  uint64_t durable = durableSeqLocked();
  if (durable < seq && syncerIdle_) {
    syncerIdle_ = false;
    syncCv_.notify_one();
  }
  return durable;
}

void Engine::requestCompaction(uint32_t id, bool all) {
  std::lock_guard<std::mutex> lk(mu_);
  if (closed_) throw EngineError("ECLOSED", "engine is closed");
  tasks_.push_back({Task::kMerge, id, all});
  workCv_.notify_one();
}

void Engine::close() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (closed_) return;
    closed_ = stopping_ = true;
    forceSyncSeq_ = seq_;
    syncCv_.notify_all();
    workCv_.notify_all();
    doneCv_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
  if (syncer_.joinable()) syncer_.join();
  // The syncer has written and fsynced everything it could; leave hints behind
  // for the segments that lack one so the next open reads no values.
  std::string failure;
  for (auto& [id, s] : segments_) {
    if (s->fd >= 0 && !s->hinted && s->diskEnd == s->size && errorCode_.empty()) {
      try {
        writeHintFile(id);
      } catch (const EngineError& e) {
        std::fprintf(stderr, "dynkv: warning: no hint file for %s: %s\n", s->path.c_str(), e.what());
      }
    }
  }
  for (auto& [id, s] : segments_) {
    s->unmap();
    if (s->fd >= 0) ::close(s->fd);
  }
  ::close(lockFd_);
  lockFd_ = -1;
  if (!errorCode_.empty())
    std::fprintf(stderr, "dynkv: warning: closing with %llu bytes of failed writes never written (%s)\n",
                 (unsigned long long)pendingBytes_, errorMessage_.c_str());
}

}  // namespace dynkv
