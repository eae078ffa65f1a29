// keydir.cc — ordered per-slot hash tables and the slab allocator behind them.
// Each slot's table is sorted by hash: every entry sits at or after its home
// position (the top bits of its 50-bit hash) with no empty bucket between,
// so lookups stop at the first greater hash and scans walk the array.
#include "keydir.h"

#include <sys/mman.h>
#include <time.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "hashing.h"
#include "segment.h"

namespace dynkv {
namespace {

constexpr uint64_t kPtrMask = (uint64_t(1) << 48) - 1;
constexpr uint32_t kMinCap = 4;

inline KeyEntry* entryOf(uint64_t bucket) { return reinterpret_cast<KeyEntry*>(bucket & kPtrMask); }
inline uint64_t fragOf(uint64_t h50) { return h50 >> 34; }  // top 16 of the 50 bits
inline uint64_t h50Of(const KeyEntry* e) { return e->hash() & kHash50Mask; }
// Bytes of a record's value, from its size (header and key included).
inline uint32_t valueLenOf(uint32_t recordSize, uint32_t keyLen) { return recordSize - uint32_t(kRecordHeader) - keyLen; }
inline uint32_t entrySize(uint32_t keyLen, bool hasExpire, uint32_t valueLen) {
  return (uint32_t(sizeof(KeyEntry)) + (hasExpire ? 8 : 0) + keyLen + valueLen + 3) & ~3u;
}
inline uint32_t entrySize(const KeyEntry* e) {
  return entrySize(e->keyLen(), e->hasExpire(), e->value() != nullptr ? valueLenOf(e->size, e->keyLen()) : 0);
}
inline uint32_t slackFor(uint32_t cap) { return 4 + cap / 32; }
// Home position of a hash: its top 32 bits scaled to the capacity, which
// keeps hash order for any capacity (so tables grow by 1.25x, not 2x).
inline uint32_t homeOf(uint32_t cap, uint64_t h50) { return uint32_t(((h50 >> 18) * cap) >> 32); }

// Orders a bucket against a 50-bit hash: <0, 0 or >0 as the bucket's hash is
// lower, equal or higher. The 16-bit fragment settles most cases unread.
inline int compareHash(uint64_t bucket, uint64_t h50) {
  uint64_t f = fragOf(h50), bf = bucket >> 48;
  if (bf != f) return bf < f ? -1 : 1;
  uint64_t eh = h50Of(entryOf(bucket));
  return eh < h50 ? -1 : (eh > h50 ? 1 : 0);
}

}  // namespace

uint32_t lruClock() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // a vDSO read, no syscall
  return uint32_t(ts.tv_sec) & kLruClockMax;
}

uint64_t KeyEntry::hash() const { return ringHash(key(), keyLen()); }

uint64_t KeyEntry::expireAt() const {
  if (!hasExpire()) return 0;
  uint64_t v;
  std::memcpy(&v, reinterpret_cast<const uint8_t*>(this) + sizeof(KeyEntry), 8);
  return v;
}

Keydir::Keydir() = default;

Keydir::~Keydir() {
  for (Table& t : tables_) {
    if (t.buckets == nullptr) continue;
    for (uint32_t i = 0; i < t.len; i++) {
      if (t.buckets[i] == 0) continue;
      KeyEntry* e = entryOf(t.buckets[i]);
      if (entrySize(e) > kMaxSlab) std::free(e);
    }
    std::free(t.buckets);
  }
  for (void* c : chunks_) ::munmap(c, kSlabChunk);
}

KeyEntry* Keydir::allocEntry(uint32_t size) {
  void* p;
  if (size > kMaxSlab) {
    p = std::malloc(size);
    if (p == nullptr) throw std::bad_alloc();
    largeBytes_ += size;
  } else {
    SizeClass& c = classes_[size / 4];
    if (c.freeList != nullptr) {
      p = c.freeList;
      std::memcpy(&c.freeList, p, sizeof(void*));
    } else {
      if (c.bump == c.bumpEnd) {
        void* mem = ::mmap(nullptr, kSlabChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mem == MAP_FAILED) throw std::bad_alloc();
        uint8_t* chunk = static_cast<uint8_t*>(mem);
        chunks_.push_back(chunk);
        c.bump = chunk;
        c.bumpEnd = chunk + (kSlabChunk / size) * size;
      }
      p = c.bump;
      c.bump += size;
    }
  }
  return static_cast<KeyEntry*>(p);
}

void Keydir::freeEntry(KeyEntry* e) {
  if (e->hasExpire()) expiring_--;
  uint32_t size = entrySize(e);
  if (size > kMaxSlab) {
    largeBytes_ -= size;
    std::free(e);
    return;
  }
  SizeClass& c = classes_[size / 4];
  std::memcpy(static_cast<void*>(e), &c.freeList, sizeof(void*));
  c.freeList = e;
}

KeyEntry* Keydir::makeEntry(const uint8_t* key, uint32_t len, const Location& loc, const uint8_t* value) {
  bool hasExpire = loc.expireAt != 0;
  uint32_t valueLen = value != nullptr ? valueLenOf(loc.size, len) : 0;
  KeyEntry* e = allocEntry(entrySize(len, hasExpire, valueLen));
  if (hasExpire) expiring_++;
  e->seg = loc.seg;
  e->off = loc.off;
  e->size = loc.size;
  e->keyLenFlags = len | (hasExpire ? KeyEntry::kHasExpire : 0) | (value != nullptr ? KeyEntry::kHasValue : 0);
  e->setLru(lruClock());
  uint8_t* tail = reinterpret_cast<uint8_t*>(e) + sizeof(KeyEntry);
  if (hasExpire) {
    std::memcpy(tail, &loc.expireAt, 8);
    tail += 8;
  }
  if (len > 0) std::memcpy(tail, key, len);
  if (valueLen > 0) std::memcpy(tail + len, value, valueLen);
  return e;
}

// Swaps the entry at pos for a new one of the same key (its bucket, and so its order, stay; its access clock too).
void Keydir::replaceEntry(Table& t, uint32_t pos, const Location& loc, const uint8_t* value) {
  KeyEntry* e = entryOf(t.buckets[pos]);
  KeyEntry* fresh = makeEntry(e->key(), e->keyLen(), loc, value);
  fresh->setLru(e->lru());
  t.buckets[pos] = (t.buckets[pos] & ~kPtrMask) | reinterpret_cast<uint64_t>(fresh);
  freeEntry(e);
}

uint32_t Keydir::home(const Table& t, uint64_t bucket) const {
  uint64_t lowest = (bucket >> 48) << 34;
  uint32_t lo = homeOf(t.cap, lowest), hi = homeOf(t.cap, lowest | ((uint64_t(1) << 34) - 1));
  return lo == hi ? lo : homeOf(t.cap, h50Of(entryOf(bucket)));
}

int64_t Keydir::findPos(const Table& t, const uint8_t* key, uint32_t len, uint64_t h50) const {
  if (t.buckets == nullptr) return -1;
  for (uint32_t p = homeOf(t.cap, h50); p < t.len; p++) {
    uint64_t b = t.buckets[p];
    if (b == 0) return -1;
    uint64_t bf = b >> 48, f = fragOf(h50);
    if (bf < f) continue;
    if (bf > f) return -1;
    // Same fragment: the key itself settles a hit without recomputing its hash.
    const KeyEntry* e = entryOf(b);
    if (e->keyLen() == len && (len == 0 || std::memcmp(e->key(), key, len) == 0)) return p;
    if (h50Of(e) > h50) return -1;
  }
  return -1;
}

void Keydir::rebuild(Table& t, uint32_t cap, bool compact) {
  for (;; cap += cap / 8 + 1) {
    uint32_t len = cap + slackFor(cap);
    uint64_t* fresh = static_cast<uint64_t*>(std::calloc(len, sizeof(uint64_t)));
    if (fresh == nullptr) throw std::bad_alloc();
    Table next{fresh, cap, len, t.count};
    int64_t last = -1;
    bool fits = true;
    uint64_t displaced = 0;
    for (uint32_t i = 0; t.buckets != nullptr && i < t.len; i++) {
      uint64_t b = t.buckets[i];
      if (b == 0) continue;
      int64_t pos = home(next, b);
      if (pos <= last) {
        displaced += uint64_t(last + 1 - pos);
        pos = last + 1;
      }
      if (pos >= int64_t(len) || (compact && displaced > 2 * uint64_t(t.count))) {
        fits = false;
        break;
      }
      fresh[pos] = b;
      last = pos;
      moves_++;
    }
    if (!fits) {
      std::free(fresh);
      continue;
    }
    if (t.buckets != nullptr) {
      tableBytes_ -= size_t(t.len) * sizeof(uint64_t);
      std::free(t.buckets);
    }
    tableBytes_ += size_t(len) * sizeof(uint64_t);
    t = next;
    return;
  }
}

void Keydir::prefetch(const uint64_t* hashes, size_t n, const KeyEntry** found) const {
  for (size_t i = 0; i < n; i++) __builtin_prefetch(&tables_[hashes[i] >> kSlotShift]);
  for (size_t i = 0; i < n; i++) {
    const Table& t = tables_[hashes[i] >> kSlotShift];
    if (t.buckets != nullptr) __builtin_prefetch(&t.buckets[homeOf(t.cap, hashes[i] & kHash50Mask)]);
  }
  for (size_t i = 0; i < n; i++) {
    found[i] = nullptr;
    const Table& t = tables_[hashes[i] >> kSlotShift];
    if (t.buckets == nullptr) continue;
    uint64_t h50 = hashes[i] & kHash50Mask, f = fragOf(h50);
    for (uint32_t p = homeOf(t.cap, h50); p < t.len; p++) {
      uint64_t b = t.buckets[p], bf = b >> 48;
      if (b == 0 || bf > f) break;
      if (bf == f) {
        found[i] = entryOf(b);
        __builtin_prefetch(found[i]);
        break;
      }
    }
  }
}

const KeyEntry* Keydir::find(const uint8_t* key, uint32_t len, uint64_t hash) const {
  const Table& t = tables_[hash >> kSlotShift];
  int64_t pos = findPos(t, key, len, hash & kHash50Mask);
  return pos < 0 ? nullptr : entryOf(t.buckets[pos]);
}

bool Keydir::set(const uint8_t* key, uint32_t len, uint64_t hash, const Location& loc, Location* old,
                 const uint8_t* value) {
  Table& t = tables_[hash >> kSlotShift];
  uint64_t h50 = hash & kHash50Mask;
  int64_t pos = findPos(t, key, len, h50);
  if (pos >= 0) {
    KeyEntry* e = entryOf(t.buckets[pos]);
    if (old != nullptr) *old = e->location();
    bool sameShape = e->hasExpire() == (loc.expireAt != 0) && (e->value() != nullptr) == (value != nullptr) &&
                     (value == nullptr || e->size == loc.size);
    if (sameShape) {
      e->setLru(lruClock());  // a write is an access
      e->seg = loc.seg;
      e->off = loc.off;
      e->size = loc.size;
      if (e->hasExpire()) std::memcpy(reinterpret_cast<uint8_t*>(e) + sizeof(KeyEntry), &loc.expireAt, 8);
      if (value != nullptr) std::memcpy(const_cast<uint8_t*>(e->value()), value, valueLenOf(loc.size, len));
    } else {
      replaceEntry(t, uint32_t(pos), loc, value);
      entryOf(t.buckets[pos])->setLru(lruClock());
    }
    return true;
  }
  if (t.buckets == nullptr) rebuild(t, kMinCap);
  KeyEntry* e = makeEntry(key, len, loc, value);
  uint64_t bucket = (fragOf(h50) << 48) | reinterpret_cast<uint64_t>(e);
  for (;;) {
    uint32_t p = homeOf(t.cap, h50);
    while (p < t.len && t.buckets[p] != 0 && compareHash(t.buckets[p], h50) <= 0) p++;
    uint32_t q = p;
    while (q < t.len && t.buckets[q] != 0) q++;
    if (q == t.len) {
      rebuild(t, t.cap + t.cap / 4 + 1);
      continue;
    }
    std::memmove(t.buckets + p + 1, t.buckets + p, size_t(q - p) * sizeof(uint64_t));
    t.buckets[p] = bucket;
    break;
  }
  t.count++;
  count_++;
  if (t.count > t.cap - t.cap / 10) rebuild(t, t.cap + t.cap / 4 + 1);
  return false;
}

void Keydir::removePos(Table& t, uint32_t pos) {
  freeEntry(entryOf(t.buckets[pos]));
  uint32_t q = pos + 1;
  while (q < t.len && t.buckets[q] != 0 && home(t, t.buckets[q]) < q) {
    t.buckets[q - 1] = t.buckets[q];
    q++;
    moves_++;
  }
  t.buckets[q - 1] = 0;
  t.count--;
  count_--;
  if (t.count == 0) {
    tableBytes_ -= size_t(t.len) * sizeof(uint64_t);
    std::free(t.buckets);
    t = Table{};
  } else if (t.cap > kMinCap && t.count < t.cap / 4 && t.count < t.shrinkBelow) {
    uint32_t before = t.cap;
    rebuild(t, t.cap / 2 > kMinCap ? t.cap / 2 : kMinCap, true);
    if (t.cap > before / 2 + before / 4) t.shrinkBelow = t.count / 2;
  }
}

bool Keydir::remove(const uint8_t* key, uint32_t len, uint64_t hash, Location* old) {
  Table& t = tables_[hash >> kSlotShift];
  int64_t pos = findPos(t, key, len, hash & kHash50Mask);
  if (pos < 0) return false;
  if (old != nullptr) *old = entryOf(t.buckets[pos])->location();
  removePos(t, uint32_t(pos));
  return true;
}

bool Keydir::repoint(const uint8_t* key, uint32_t len, uint64_t hash, uint32_t seg, uint32_t off,
                     const Location& to) {
  Table& t = tables_[hash >> kSlotShift];
  int64_t pos = findPos(t, key, len, hash & kHash50Mask);
  if (pos < 0) return false;
  KeyEntry* e = entryOf(t.buckets[pos]);
  if (e->seg != seg || e->off != off) return false;
  if (e->value() != nullptr && e->size != to.size) {
    replaceEntry(t, uint32_t(pos), {to.seg, to.off, to.size, e->expireAt()}, nullptr);  // not the same record
    return true;
  }
  e->seg = to.seg;
  e->off = to.off;
  e->size = to.size;
  return true;
}

void Keydir::adoptValue(const uint8_t* key, uint32_t len, uint64_t hash, uint32_t seg, uint32_t off,
                        const uint8_t* value) {
  Table& t = tables_[hash >> kSlotShift];
  int64_t pos = findPos(t, key, len, hash & kHash50Mask);
  if (pos < 0) return;
  const KeyEntry* e = entryOf(t.buckets[pos]);
  if (e->seg != seg || e->off != off || e->value() != nullptr) return;
  replaceEntry(t, uint32_t(pos), e->location(), value);
}

bool Keydir::removeAt(const uint8_t* key, uint32_t len, uint64_t hash, uint32_t seg, uint32_t off) {
  Table& t = tables_[hash >> kSlotShift];
  int64_t pos = findPos(t, key, len, hash & kHash50Mask);
  if (pos < 0) return false;
  KeyEntry* e = entryOf(t.buckets[pos]);
  if (e->seg != seg || e->off != off) return false;
  removePos(t, uint32_t(pos));
  return true;
}

uint64_t Keydir::scan(uint64_t from, uint64_t to, size_t count, uint64_t now, bool expired,
                      std::vector<const KeyEntry*>& out, TtlSample* ttl) const {
  size_t visited = 0;
  uint64_t lastHash = 0;
  for (uint64_t s = from >> kSlotShift; s < kSlots && (s << kSlotShift) < to; s++) {
    const Table& t = tables_[s];
    if (t.buckets == nullptr) continue;
    uint32_t p = (s == (from >> kSlotShift)) ? homeOf(t.cap, from & kHash50Mask) : 0;
    for (; p < t.len; p++) {
      uint64_t b = t.buckets[p];
      if (b == 0) continue;
      const KeyEntry* e = entryOf(b);
      const uint64_t hash = e->hash();
      if (hash < from) continue;
      if (hash >= to) return to;
      if (visited >= count && hash != lastHash) return hash;
      lastHash = hash;
      visited++;
      uint64_t exp = e->expireAt();
      if ((exp != 0 && exp <= now) == expired) out.push_back(e);
      if (ttl != nullptr && exp > now) {
        ttl->sumMs += exp - now;
        ttl->count++;
      }
    }
  }
  return to;
}

size_t Keydir::memoryBytes() const { return chunks_.size() * kSlabChunk + largeBytes_ + tableBytes_; }

}  // namespace dynkv
