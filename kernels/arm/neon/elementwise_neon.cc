// The NEON (AArch64 Advanced SIMD) instantiation of the xsimd elementwise and
// pooling kernels (kernels/simd/elementwise.h, kernels/simd/pool.h) for
// xsimd::neon64, built only for aarch64 targets (kernels/CMakeLists.txt).
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "qrt/kernels/params.h"
#include "simd/elementwise.h"
#include "simd/elementwise_kernels.h"
#include "simd/pool.h"
#include "simd/softmax.h"

#if !XSIMD_WITH_NEON64
#error "this translation unit needs its ISA's compiler flags (kernels/CMakeLists.txt)"
#endif

namespace qrt::kernels {

void qs8_add__neon(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  simd::Add<xsimd::neon64>(p, a, b, output);
}

void qs8_mul__neon(const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  simd::Mul<xsimd::neon64>(p, a, b, output);
}

void qs8_max_pool2d__neon(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  simd::MaxPool2D<xsimd::neon64>(p, input, output);
}

void qs8_average_pool2d__neon(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  simd::AveragePool2D<xsimd::neon64>(p, input, output);
}

void qs8_concat__neon(const ConcatParams& p, const int8_t* const* inputs, int8_t* output) {
  simd::Concat<xsimd::neon64>(p, inputs, output);
}

void x8_resize_nearest__neon(const ResizeNearestParams& p, const int8_t* input, int8_t* output) {
  simd::ResizeNearest<xsimd::neon64>(p, input, output);
}

void x8_lookup__neon(const LookupParams& p, const int8_t* input, int8_t* output) {
  simd::Lookup<xsimd::neon64>(p, input, output);
}

void f32_qs8_quantize__neon(const QuantizeParams& p, const float* input, int8_t* output) {
  simd::Quantize<xsimd::neon64>(p, input, output);
}

void qs8_f32_dequantize__neon(const DequantizeParams& p, const int8_t* input, float* output) {
  simd::Dequantize<xsimd::neon64>(p, input, output);
}

void qs8_softmax__neon(const SoftmaxParams& p, const int8_t* input, int8_t* output) {
  simd::Softmax<xsimd::neon64>(p, input, output);
}

}  // namespace qrt::kernels
