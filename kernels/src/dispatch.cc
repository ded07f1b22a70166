#include "qrt/kernels/dispatch.h"

#include "qrt/kernels/reference.h"

namespace qrt::kernels {
namespace {

KernelTable ReferenceTable() {
  KernelTable t;
  t.conv2d.fn = ref::Conv2D;
  t.fully_connected.fn = ref::FullyConnected;
  t.add.fn = ref::Add;
  t.mul.fn = ref::Mul;
  t.max_pool2d.fn = ref::MaxPool2D;
  t.average_pool2d.fn = ref::AveragePool2D;
  t.concat.fn = ref::Concat;
  t.transpose.fn = ref::Transpose;
  t.pad.fn = ref::Pad;
  t.resize_nearest.fn = ref::ResizeNearest;
  t.lookup.fn = ref::Lookup;
  t.softmax.fn = ref::Softmax;
  t.quantize.fn = ref::Quantize;
  t.dequantize.fn = ref::Dequantize;
  return t;
}

}  // namespace

// Only the reference path exists so far; fast paths overlay their entries on it
// here, most capable last, once they are built.
KernelTable SelectKernels(Isa max_isa) {
  static_cast<void>(max_isa);
  return ReferenceTable();
}

}  // namespace qrt::kernels
