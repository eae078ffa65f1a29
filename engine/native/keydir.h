// keydir.h — the in-memory index of live keys: key -> (segment, offset,
// record size, expire-at), kept in ring-hash order so a scan cursor is just
// a hash and survives writes and table growth, and a slot range is a hash
// range. One small ordered (Robin Hood, linear probing) table per slot;
// entries live in size-class slabs and do not store their hash (it is
// recomputed from the key when the bucket's 16-bit fragment is not enough).
// About 47 bytes per 16-byte key. A small value may be kept in its entry
// too (the engine decides which): a read of it then touches no segment.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dynkv {

struct Location {
  uint32_t seg = 0;
  uint32_t off = 0;
  uint32_t size = 0;     // whole record, header included
  uint64_t expireAt = 0; // ms since the epoch, 0 = never
};

// The access clock of keys: seconds of a coarse monotonic clock, 24 bits
// (wrapping after 194 days), as Redis's LRU clock (LRU_CLOCK_RESOLUTION 1 s).
constexpr uint32_t kLruClockMax = (1u << 24) - 1;
uint32_t lruClock();
// Seconds between an entry's access clock and `now`, across one wrap (as Redis's estimateObjectIdleTime).
inline uint32_t lruIdle(uint32_t lru, uint32_t now) { return (now - lru) & kLruClockMax; }

// An index entry as it sits in a slab: header, optional expire-at, key
// bytes, optional value bytes (as many as the record holds). 19 bytes of
// header: the location, the key length and flags, and the 24-bit access
// clock in its last 3 bytes (taking bits from the segment id instead would
// cap the ids, which merges use up over months).
struct __attribute__((packed)) KeyEntry {
  uint32_t seg;
  uint32_t off;
  uint32_t size;
  uint32_t keyLenFlags;  // bit 31: an expire-at follows the header; bit 30: the value follows the key
  uint16_t lruLow;
  uint8_t lruHigh;
  static constexpr uint32_t kHasExpire = 0x80000000u;
  static constexpr uint32_t kHasValue = 0x40000000u;
  // When the key was last written or read (lruClock()): OBJECT IDLETIME.
  uint32_t lru() const { return uint32_t(lruHigh) << 16 | lruLow; }
  void setLru(uint32_t clock) {
    lruHigh = uint8_t(clock >> 16);
    lruLow = uint16_t(clock);
  }
  uint32_t keyLen() const { return keyLenFlags & ~(kHasExpire | kHasValue); }
  bool hasExpire() const { return (keyLenFlags & kHasExpire) != 0; }
  // The value's bytes when the entry holds them, else null.
  const uint8_t* value() const { return (keyLenFlags & kHasValue) != 0 ? key() + keyLen() : nullptr; }
  uint64_t expireAt() const;
  const uint8_t* key() const {
    return reinterpret_cast<const uint8_t*>(this) + sizeof(KeyEntry) + (hasExpire() ? 8 : 0);
  }
  Location location() const { return {seg, off, size, expireAt()}; }
  uint64_t hash() const;  // the ring hash, recomputed from the key
};
static_assert(sizeof(KeyEntry) == 19, "a keydir entry's header is 19 bytes");

class Keydir {
 public:
  Keydir();
  ~Keydir();
  Keydir(const Keydir&) = delete;
  Keydir& operator=(const Keydir&) = delete;

  const KeyEntry* find(const uint8_t* key, uint32_t len, uint64_t hash) const;
  // Brings the tables, buckets and entries of a batch of lookups into the
  // cache in stages, so their misses overlap instead of following one
  // another; fills found[i] with the entry that find() would most likely
  // return (first bucket with the hash's fragment; null when none). A hint:
  // nothing is compared, nothing changes.
  void prefetch(const uint64_t* hashes, size_t n, const KeyEntry** found) const;
  // Inserts or replaces; returns true and fills *old when the key was there.
  // With a value (the record's value bytes), the entry keeps a copy of it.
  bool set(const uint8_t* key, uint32_t len, uint64_t hash, const Location& loc, Location* old,
           const uint8_t* value = nullptr);
  // Gives the key's entry a copy of its value, read from the record at
  // (seg, off), when it still points there and holds none.
  void adoptValue(const uint8_t* key, uint32_t len, uint64_t hash, uint32_t seg, uint32_t off, const uint8_t* value);
  bool remove(const uint8_t* key, uint32_t len, uint64_t hash, Location* old);
  // Only when the key still points at (seg, off): used by compaction.
  bool repoint(const uint8_t* key, uint32_t len, uint64_t hash, uint32_t seg, uint32_t off, const Location& to);
  bool removeAt(const uint8_t* key, uint32_t len, uint64_t hash, uint32_t seg, uint32_t off);
  // Marks the entry (as find() returned it) read now: its access clock, nothing else.
  static void touch(const KeyEntry* e, uint32_t clock) { const_cast<KeyEntry*>(e)->setLru(clock); }

  // Entries with from <= hash < to, in hash order, at least `count` of them
  // unless the range ends first, never splitting a run of equal hashes.
  // Entries with expireAt in (0, now] are skipped, or with `expired` are the
  // only ones kept. Returns the next cursor: the hash of the first entry not
  // visited, or `to` when the range is done.
  // With `ttl`, also adds up the time to live of the visited entries that
  // have an expiry still ahead (active expiry's sample, for avg_ttl).
  struct TtlSample {
    uint64_t sumMs = 0;
    size_t count = 0;
  };
  uint64_t scan(uint64_t from, uint64_t to, size_t count, uint64_t now, bool expired,
                std::vector<const KeyEntry*>& out, TtlSample* ttl = nullptr) const;

  size_t size() const { return count_; }
  size_t expiring() const { return expiring_; }  // entries with an expire-at
  size_t memoryBytes() const;
  // Index slots written by deletes' backward shifts and by table rebuilds, since the open: the index's upkeep work.
  uint64_t moves() const { return moves_; }

 private:
  struct Table {
    uint64_t* buckets = nullptr;  // frag16 << 48 | entry pointer; 0 = empty
    uint32_t cap = 0;             // home positions: top 32 hash bits * cap >> 32
    uint32_t len = 0;             // home positions plus overflow room
    uint32_t count = 0;
    // A shrink is tried only below this count: after one that could not
    // shrink (entries bunched at one end of the hash range, as when a scan in
    // hash order deletes them, need the overflow room of a bigger table), the
    // next waits until half of the entries are gone, so deletes stay O(1)
    // amortized instead of one O(count) rebuild each.
    uint32_t shrinkBelow = UINT32_MAX;
  };

  KeyEntry* allocEntry(uint32_t size);
  void freeEntry(KeyEntry* e);
  KeyEntry* makeEntry(const uint8_t* key, uint32_t len, const Location& loc, const uint8_t* value);
  void replaceEntry(Table& t, uint32_t pos, const Location& loc, const uint8_t* value);
  int64_t findPos(const Table& t, const uint8_t* key, uint32_t len, uint64_t h50) const;
  void removePos(Table& t, uint32_t pos);
  // compact: a shrink, which also refuses a layout whose entries sit on average more than two places past their home.
  void rebuild(Table& t, uint32_t cap, bool compact = false);
  uint32_t home(const Table& t, uint64_t bucket) const;

  Table tables_[16384];
  size_t count_ = 0;
  size_t expiring_ = 0;
  size_t tableBytes_ = 0;
  uint64_t moves_ = 0;

  // Slabs: size classes of 4 bytes up to kMaxSlab (entries are packed and
  // read unaligned: 8-byte classes cost 4 bytes more per key on average);
  // bigger entries use malloc.
  static constexpr uint32_t kMaxSlab = 512;
  static constexpr uint32_t kSlabChunk = 1 << 20;  // mmap'ed: freed memory goes back to the OS
  struct SizeClass {
    void* freeList = nullptr;
    uint8_t* bump = nullptr;
    uint8_t* bumpEnd = nullptr;
  };
  SizeClass classes_[kMaxSlab / 4 + 1];
  std::vector<void*> chunks_;
  size_t largeBytes_ = 0;
};

}  // namespace dynkv
