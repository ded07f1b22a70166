#include "qrt/kernels/dispatch.h"

#include "qrt/kernels/reference.h"

#if QRT_HAVE_AVX512VNNI
#include "pack/fully_connected_16c4_vnni.h"
#include "x86/avx512vnni/avx512vnni.h"
#endif

namespace qrt::kernels {
namespace {

KernelTable ReferenceTable() {
  KernelTable t;
  t.conv2d.fn = ref::Conv2D;
  t.depthwise_conv2d.fn = ref::Conv2D;
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

// Fast paths overlay the entries they implement on the reference table, least
// capable first, each only where it was built.
KernelTable SelectKernels(Isa max_isa) {
  KernelTable t = ReferenceTable();
#if QRT_HAVE_AVX512VNNI
  // kAvx512Vnni is the most capable x86 path (kNeon and up are another architecture).
  if (max_isa == Isa::kAvx512Vnni) {
    t.fully_connected.fn = qs8_fully_connected_4x16c4__avx512vnni;
    t.fully_connected.isa = Isa::kAvx512Vnni;
    t.fully_connected.packed_size = PackedSizeFullyConnected16c4Vnni;
    t.fully_connected.pack = PackFullyConnected16c4Vnni;
    t.fully_connected.channel_block = kFc16c4Nr;
  }
#else
  static_cast<void>(max_isa);
#endif
  return t;
}

}  // namespace qrt::kernels
