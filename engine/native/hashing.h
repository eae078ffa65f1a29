// hashing.h — the checksums and hashes of the engine: crc32c for records,
// xxh64 and Redis Cluster's CRC16 slot for the keydir's ring order.
#pragma once
#include <cstddef>
#include <cstdint>

namespace dynkv {

// CRC-32C (Castagnoli); `crc` is a previous result to continue from, 0 to start.
uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len);

uint64_t xxh64(const uint8_t* data, size_t len, uint64_t seed);

// Redis Cluster's slot: CRC16-XMODEM of the key, or of its {hash tag}, mod 16384.
uint32_t keySlot(const uint8_t* key, size_t len);

constexpr int kSlotShift = 50;
constexpr uint64_t kHash50Mask = (uint64_t(1) << kSlotShift) - 1;
constexpr uint32_t kSlots = 16384;

// The ring hash that orders the keydir: slot << 50 | top 50 bits of xxh64.
// UINT64_MAX is kept free to stand for "the end of the ring".
inline uint64_t ringHash(const uint8_t* key, size_t len) {
  uint64_t h = (uint64_t(keySlot(key, len)) << kSlotShift) | (xxh64(key, len, 0) >> 14);
  return h == UINT64_MAX ? h - 1 : h;
}

}  // namespace dynkv
