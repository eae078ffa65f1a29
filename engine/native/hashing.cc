// hashing.cc — crc32c (SSE4.2 when the CPU has it, else slice-by-8 tables),
// xxh64 and Redis Cluster's key slot (CRC16-XMODEM with hash tags).
#include "hashing.h"

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace dynkv {
namespace {

struct Crc32cTables {
  uint32_t t[8][256];
  Crc32cTables() {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
      for (int s = 1; s < 8; s++) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};

const Crc32cTables& crcTables() {
  static const Crc32cTables tables;
  return tables;
}

uint32_t crc32cSoftware(uint32_t crc, const uint8_t* p, size_t n) {
  const auto& t = crcTables().t;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    v ^= crc;
    crc = t[7][v & 0xFF] ^ t[6][(v >> 8) & 0xFF] ^ t[5][(v >> 16) & 0xFF] ^ t[4][(v >> 24) & 0xFF] ^
          t[3][(v >> 32) & 0xFF] ^ t[2][(v >> 40) & 0xFF] ^ t[1][(v >> 48) & 0xFF] ^ t[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32cHardware(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = uint32_t(c);
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
inline uint64_t read64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint32_t read32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

constexpr uint64_t P1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t P2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t P3 = 0x165667B19E3779F9ull;
constexpr uint64_t P4 = 0x85EBCA77C2B2AE63ull;
constexpr uint64_t P5 = 0x27D4EB2F165667C5ull;

inline uint64_t xxRound(uint64_t acc, uint64_t input) {
  acc += input * P2;
  acc = rotl(acc, 31);
  return acc * P1;
}
inline uint64_t xxMerge(uint64_t acc, uint64_t val) {
  acc ^= xxRound(0, val);
  return acc * P1 + P4;
}

struct Crc16Table {
  uint16_t t[256];
  Crc16Table() {
    for (uint32_t i = 0; i < 256; i++) {
      uint16_t c = uint16_t(i << 8);
      for (int k = 0; k < 8; k++) c = (c & 0x8000) ? uint16_t((c << 1) ^ 0x1021) : uint16_t(c << 1);
      t[i] = c;
    }
  }
};

uint16_t crc16(const uint8_t* p, size_t n) {
  static const Crc16Table table;
  uint16_t crc = 0;
  while (n--) crc = uint16_t((crc << 8) ^ table.t[((crc >> 8) ^ *p++) & 0xFF]);
  return crc;
}

}  // namespace

uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len) {
  crc = ~crc;
#if defined(__x86_64__)
  crc = kHaveSse42 ? crc32cHardware(crc, data, len) : crc32cSoftware(crc, data, len);
#else
  crc = crc32cSoftware(crc, data, len);
#endif
  return ~crc;
}

uint64_t xxh64(const uint8_t* p, size_t len, uint64_t seed) {
  const uint8_t* end = p + len;
  uint64_t h;
  if (len >= 32) {
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    const uint8_t* limit = end - 32;
    do {
      v1 = xxRound(v1, read64(p));
      v2 = xxRound(v2, read64(p + 8));
      v3 = xxRound(v3, read64(p + 16));
      v4 = xxRound(v4, read64(p + 24));
      p += 32;
    } while (p <= limit);
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = xxMerge(h, v1);
    h = xxMerge(h, v2);
    h = xxMerge(h, v3);
    h = xxMerge(h, v4);
  } else {
    h = seed + P5;
  }
  h += uint64_t(len);
  while (p + 8 <= end) {
    h ^= xxRound(0, read64(p));
    h = rotl(h, 27) * P1 + P4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= uint64_t(read32(p)) * P1;
    h = rotl(h, 23) * P2 + P3;
    p += 4;
  }
  while (p < end) {
    h ^= uint64_t(*p++) * P5;
    h = rotl(h, 11) * P1;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

uint32_t keySlot(const uint8_t* key, size_t len) {
  // A {tag} with at least one byte between the first '{' and the next '}'.
  if (len == 0) return 0;
  const uint8_t* open = static_cast<const uint8_t*>(std::memchr(key, '{', len));
  if (open != nullptr) {
    size_t rest = len - size_t(open - key) - 1;
    const uint8_t* close = static_cast<const uint8_t*>(std::memchr(open + 1, '}', rest));
    if (close != nullptr && close > open + 1) return crc16(open + 1, size_t(close - open - 1)) & 16383;
  }
  return crc16(key, len) & 16383;
}

}  // namespace dynkv
