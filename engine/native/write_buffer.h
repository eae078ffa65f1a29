// write_buffer.h — a fixed-capacity byte run for the write buffer, mapped
// straight from the OS so that once written and freed its memory leaves the
// process instead of staying in malloc's heap between keydir slabs.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace dynkv {

class WriteBuffer {
 public:
  explicit WriteBuffer(size_t capacity) : cap_(capacity) {
    void* p = ::mmap(nullptr, cap_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<uint8_t*>(p);
  }
  ~WriteBuffer() { ::munmap(data_, cap_); }
  WriteBuffer(const WriteBuffer&) = delete;
  WriteBuffer& operator=(const WriteBuffer&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  void clear() { size_ = 0; }
  // Room for n more bytes (the caller checked the capacity).
  uint8_t* append(size_t n) {
    uint8_t* at = data_ + size_;
    size_ += n;
    return at;
  }

 private:
  uint8_t* data_;
  size_t cap_;
  size_t size_ = 0;
};

}  // namespace dynkv
