// What the converter's tests on generated graphs share: constants added by value and
// seeded uniform calibration data.
#pragma once

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "converter/ir/graph.h"
#include "data_source.h"

namespace qrt::converter::test {

inline void AddConstant(Graph* graph, const std::string& name, Shape shape,
                        std::vector<float> values) {
  Tensor& t = graph->GetOrAddTensor(name);
  t.shape = shape;
  t.constant = TensorData::FromVector(std::move(shape), values);
}

// `count` samples of one input of `shape`, uniform in [lo, hi), seeded by the sample's
// index and `seed` (so that calibration and evaluation samples differ).
class UniformSource : public calib::CalibrationSource {
 public:
  UniformSource(Shape shape, float lo, float hi, size_t count, unsigned seed)
      : shape_(std::move(shape)), lo_(lo), hi_(hi), count_(count), seed_(seed) {}
  size_t size() const override { return count_; }
  Status Read(size_t index, std::vector<calib::CalibTensor>* sample) override {
    std::mt19937 rng(seed_ * 1000 + static_cast<unsigned>(index));
    std::uniform_real_distribution<float> uniform(lo_, hi_);
    calib::CalibTensor x{shape_, {}};
    int64_t n = 1;
    for (const int64_t d : shape_) n *= d;
    x.values.resize(static_cast<size_t>(n));
    for (float& v : x.values) v = uniform(rng);
    *sample = {std::move(x)};
    return Status::Ok();
  }

 private:
  Shape shape_;
  float lo_, hi_;
  size_t count_;
  unsigned seed_;
};

}  // namespace qrt::converter::test
