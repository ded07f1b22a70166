// Valid models for the runtime tests, built with ModelBuilder.
#pragma once

#include <cstdint>
#include <vector>

#include "qrt/schema/model_builder.h"

namespace qrt::test {

// A small network that uses every operator type (float input "image"
// [1, 8, 8, 3]; outputs "logits" int8 [1, 10] and "probs" float32 [1, 10]):
// QUANTIZE, CONV_2D (int8, ReLU), depthwise CONV_2D (int4, stride 2),
// MAX_POOL_2D, AVERAGE_POOL_2D, ADD, GLOBAL_AVERAGE_POOL, LOOKUP (sigmoid), MUL
// (broadcast, a squeeze-excitation gate), RESIZE_NEAREST, CONCAT, PAD,
// TRANSPOSE, RESHAPE, FULLY_CONNECTED, SOFTMAX, DEQUANTIZE. Weights are drawn
// from `seed`.
ModelBuilder EveryOperatorModel(uint64_t seed = 1);

// A SOFTMAX exp table: entry d is round(2^16 * exp(-step * d)).
std::vector<int32_t> SoftmaxExpTable(double step);

// ModelBuilder::Finish() copied to 64-byte aligned memory, as a mapped file is.
class AlignedBytes {
 public:
  explicit AlignedBytes(const std::vector<uint8_t>& bytes);
  ~AlignedBytes();
  AlignedBytes(const AlignedBytes&) = delete;
  AlignedBytes& operator=(const AlignedBytes&) = delete;
  const uint8_t* data() const { return data_; }
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_;
  size_t size_;
};

}  // namespace qrt::test
