// engine.h — one open data directory: the keydir, the segments, the write
// buffer and the two background threads (the syncer, which writes and
// fsyncs the buffer; the worker, which writes hint files and merges).
// Every member below mu_ is guarded by it; the JS thread holds it for one
// get/put/delete, the background threads for short steps only.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "keydir.h"
#include "segment.h"
#include "write_buffer.h"

namespace dynkv {

enum class FsyncMode { kAlways = 0, kEverySec = 1, kNo = 2 };

struct EngineOptions {
  FsyncMode fsync = FsyncMode::kEverySec;
  uint64_t segmentSize = 256ull << 20;
  double mergeThreshold = 0.5;
  uint32_t mergeIntervalMs = 10000;
  uint64_t maxPendingBytes = 64ull << 20;
  // Values up to this many bytes are also kept in their keydir entry, so a
  // read of them touches no segment (0: none are).
  uint32_t inlineValueMax = 64;
};

struct EngineStats {
  uint64_t keys, expiring, liveBytes, deadBytes, segments, pendingBytes, keydirBytes, merges;
  std::string writeError;
  // fsyncs of data files by the syncer; data files the open loaded from
  // their hint file, and those it scanned record by record.
  uint64_t fsyncs = 0, openedFromHints = 0, openedByScan = 0;
  // The key index's upkeep (Keydir::moves).
  uint64_t keydirMoves = 0;
  // A merge is running now; the last merge that ran failed (cleared by one that succeeds).
  bool merging = false, lastMergeFailed = false;
};

// A run of bytes of a data file that holds no valid record (scrub), and the
// live keys whose entries point into it (their values are lost here).
struct ScrubFinding {
  std::string file;
  uint64_t offset, length;
  std::vector<std::string> keys;
};

struct RepairReport {
  struct Drop {
    std::string file;
    uint64_t offset, length;
  };
  uint64_t segments = 0, records = 0;
  std::vector<Drop> dropped;
};

// Called from background threads: kind is "durable" (value = seq), "error"
// (code, message), "compacted" (value = request id, message = JSON) or
// "compactFailed" (value = request id, code, message).
using EventSink = std::function<void(const char* kind, double value, std::string code, std::string message)>;

struct Segment {
  uint32_t id;
  std::string path;
  int fd = -1;               // opened by the syncer on first write, or at open
  uint64_t size = 0;         // bytes including those still in the write buffer
  uint64_t diskEnd = 0;      // bytes handed to the OS
  uint64_t dead = 0;         // bytes of overwritten, deleted or tombstone records
  bool sealed = false;       // no more appends
  bool synced = false;       // sealed, fully written and fsynced
  bool hinted = false;       // has a valid hint file
  // The file mapped read-only, so a get costs no syscall; bytes past the end
  // of the file are never touched (reads stop at diskEnd). Null: use pread.
  const uint8_t* map = nullptr;
  size_t mapLen = 0;
  void mapFile(size_t len);
  void unmap();
};

// A run of encoded records waiting for the syncer; records never straddle chunks.
struct Chunk {
  Segment* seg;
  uint64_t start;
  std::unique_ptr<WriteBuffer> data;
  uint64_t lastSeq = 0;
  bool sealed = false;  // taken by the syncer: no more appends
};

class Engine {
 public:
  Engine(std::string dir, const EngineOptions& options, EventSink sink);
  ~Engine();

  // JS thread.
  // Reads with `touch` count as an access of the key (its access clock, for idle()); without
  // `cache` a small value read from its segment is not kept in its entry (a background pass
  // over every record must not fill memory with values nobody reads).
  bool get(const uint8_t* key, uint32_t len, const std::function<uint8_t*(uint32_t)>& alloc, bool touch,
           bool cache = true);
  // The value's length, -1 when absent; read into dst only when it fits in cap.
  int64_t getInto(const uint8_t* key, uint32_t len, uint8_t* dst, size_t cap, bool touch);
  // Seconds since the live key was last written or read with touch (or since it was loaded); -1 when absent.
  int64_t idle(const uint8_t* key, uint32_t len);
  // Counts an access of the live key without reading it; false when absent.
  // idleSeconds > 0 sets the access clock that far back instead (RESTORE ... IDLETIME).
  bool touch(const uint8_t* key, uint32_t len, uint32_t idleSeconds = 0);
  // A hint before a batch of lookups (pipelined commands): the n keys laid
  // end to end in keys, lens[i] bytes each. Brings their index entries and
  // records into the cache with overlapping misses; changes nothing.
  void prefetch(const uint8_t* keys, const uint32_t* lens, size_t n);
  bool info(const uint8_t* key, uint32_t len, uint64_t* expireAt, uint32_t* valueLen);
  uint64_t put(const uint8_t* key, uint32_t klen, const uint8_t* value, uint32_t vlen, uint64_t expireAt);
  bool del(const uint8_t* key, uint32_t len);
  uint64_t lastSeq();
  uint64_t scan(uint64_t from, uint64_t to, size_t count, std::vector<std::string>& keys);
  // Lazy expiry: deletes the key (with a tombstone) when it is there but
  // expired, as Redis does on access; false when not, or when writes fail.
  bool expireIfDue(const uint8_t* key, uint32_t len);
  // Deletes (with tombstones) the expired keys among up to `visit` keys from
  // the cursor; returns the next cursor, UINT64_MAX at the end of the ring.
  // Reclaims (with `reclaim`) the expired keys among the next `visit` from
  // `from`, and samples the others' time to live into *ttl.
  uint64_t reclaimExpired(uint64_t from, size_t visit, bool reclaim, size_t* reclaimed, Keydir::TtlSample* ttl);
  EngineStats stats();
  void requestCompaction(uint32_t id, bool all);
  uint64_t notifyAt(uint64_t seq);  // returns the seq durable now
  // Verifies the crc of about `budget` bytes of records of the sealed,
  // fsynced segments, from (*segment, *offset) on, and moves the cursor past
  // them ((0, 0) once past the last segment: a pass is done). Returns the
  // bytes verified; bad runs go to `found`. scrub.cc.
  uint64_t scrub(uint32_t* segment, uint64_t* offset, uint64_t budget, std::vector<ScrubFinding>& found);
  void setFsync(FsyncMode mode);
  void close();

  static RepairReport repair(const std::string& dir);

 private:
  struct Task {
    enum Kind { kHint, kMerge } kind;
    uint32_t id;  // segment id for kHint, request id for kMerge
    bool all;
  };
  struct Staged;

  // engine.cc
  void lockDirectory();
  void recover();
  void loadSegment(uint32_t id, bool last);
  void applyRecord(const uint8_t* key, uint32_t klen, bool tombstone, const Location& loc);
  Location append(const RecordMeta& meta, const uint8_t* key, const uint8_t* value);
  void appendTombstone(const uint8_t* key, uint32_t len, uint64_t hash);
  Segment* newSegment(uint32_t id);
  void roll();
  void checkWritable(std::unique_lock<std::mutex>& lk);
  void readRecord(const Location& loc, uint32_t keyLen, uint8_t* dst);
  // The value of a live entry: from the entry when it holds it, else from
  // its record, which a small value then also leaves in the entry.
  // The key's entry when it is there and not expired, else null; mu_ held (throws ECLOSED once closed).
  const KeyEntry* findLive(const uint8_t* key, uint32_t len, uint64_t hash) const;
  void readValue(const KeyEntry* e, uint64_t hash, const uint8_t* key, uint32_t len, uint8_t* dst, uint32_t valueLen,
                 bool cache = true);
  uint64_t durableSeqLocked() const;
  static uint64_t nowMs();

  // syncer.cc
  void syncerLoop();
  void markSealedComplete(std::vector<Segment*>& done);

  // merge.cc
  void workerLoop();
  void writeHintFile(uint32_t id);
  void merge(uint32_t requestId, bool all);
  std::vector<Segment*> mergeCandidates(bool all);
  static void buildHint(int fd, uint64_t size, const std::string& dataFile, const std::string& hintFile);

  const std::string dir_;
  const EngineOptions opt_;
  FsyncMode fsync_;  // opt_.fsync until setFsync (guarded by mu_)
  EventSink sink_;
  int lockFd_ = -1;

  std::mutex mu_;
  std::condition_variable syncCv_;   // wakes the syncer
  std::condition_variable doneCv_;   // the syncer made progress (backpressure, merge waits)
  std::condition_variable workCv_;   // wakes the worker
  Keydir keydir_;
  std::unordered_map<uint32_t, std::unique_ptr<Segment>> segments_;
  Segment* active_ = nullptr;
  std::deque<std::unique_ptr<Chunk>> chunks_;
  std::vector<std::unique_ptr<WriteBuffer>> spareBuffers_;  // written chunks' buffers, reused
  static constexpr size_t kChunkCapacity = 1 << 20;
  static constexpr size_t kSpareBuffers = 4;
  static constexpr uint64_t kGatherBytes = 1 << 20;                   // write at once past this
  static constexpr std::chrono::milliseconds kGather{2};             // else after this long
  uint64_t pendingBytes_ = 0;
  uint64_t seq_ = 0;          // last write handed out
  uint64_t writtenSeq_ = 0;   // handed to the OS
  uint64_t syncedSeq_ = 0;    // fsynced
  uint64_t forceSyncSeq_ = 0; // someone needs an fsync up to here
  uint64_t waitSeq_ = 0;      // JS waits for a write up to here
  uint64_t notifiedSeq_ = 0;  // last durable seq told to JS
  std::string errorCode_, errorMessage_;  // set while writes fail
  std::vector<Segment*> sealedPending_;   // sealed, not yet fsynced
  std::deque<Task> tasks_;
  uint32_t nextId_ = 1;
  uint64_t merges_ = 0;
  bool merging_ = false;          // a merge is between choosing its inputs and its end
  bool lastMergeFailed_ = false;  // the last merge that ended failed
  uint64_t fsyncs_ = 0;
  uint64_t openedFromHints_ = 0, openedByScan_ = 0;
  bool syncerIdle_ = false;
  bool stopping_ = false;
  bool closed_ = false;

  std::thread syncer_;
  std::thread worker_;
};

}  // namespace dynkv
