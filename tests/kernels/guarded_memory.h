// Test memory that catches out-of-bounds reads: bytes that end exactly where an
// inaccessible page begins (MLAS's MatrixGuardBuffer), so a kernel that reads past
// the end of its input faults instead of passing by luck.
#pragma once

#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace qrt::test {

class GuardedBytes {
 public:
  explicit GuardedBytes(const std::vector<int8_t>& data) {
    const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t data_pages = (data.size() + page - 1) / page;
    size_ = (data_pages + 1) * page;
    void* map = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(map != MAP_FAILED);
    base_ = static_cast<uint8_t*>(map);
    REQUIRE(mprotect(base_ + data_pages * page, page, PROT_NONE) == 0);
    data_ = reinterpret_cast<int8_t*>(base_ + data_pages * page - data.size());
    std::memcpy(data_, data.data(), data.size());
  }
  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;
  ~GuardedBytes() { munmap(base_, size_); }

  const int8_t* data() const { return data_; }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  int8_t* data_ = nullptr;
};

}  // namespace qrt::test
