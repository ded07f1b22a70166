// Instruction-set paths and CPU feature detection. The runtime picks a path once
// when a model loads: the best one the CPU supports, capped by the QRT_ISA
// environment variable or LoadOptions (like ONEDNN_MAX_CPU_ISA).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qrt::kernels {

// Ordered from least to most capable within an architecture.
enum class Isa { kReference, kAvx2, kAvx512Vnni, kNeon, kNeonDot };

// "reference", "avx2", "avx512vnni", "neon", "neondot".
const char* IsaName(Isa isa);
std::optional<Isa> ParseIsa(std::string_view name);

struct CpuFeatures {
  bool avx2 = false;         // AVX2 with OS support for YMM state
  bool avx512_vnni = false;  // AVX-512 F/CD/DQ/BW/VL/VNNI with OS support for ZMM state
  bool avx512_vbmi = false;  // and AVX-512 VBMI (vpermi2b): the avx512vnni path's lookup
                             // and image-stem convolution
  bool neon = false;         // Armv8 Advanced SIMD
  bool neon_dot = false;     // Armv8.2 SDOT/UDOT
};

// Reads cpuid/xgetbv (x86) or getauxval (aarch64) once.
CpuFeatures DetectCpuFeatures();

// Whether the CPU can run a path. kReference always can.
bool CpuSupports(const CpuFeatures& cpu, Isa isa);

// The most capable path the CPU supports.
Isa BestIsa(const CpuFeatures& cpu);

// Why ResolveIsa could not honour a request.
enum class IsaRequestError { kNone, kUnknownName, kUnsupportedByCpu };

struct IsaResolution {
  IsaRequestError error = IsaRequestError::kNone;
  Isa isa = Isa::kReference;  // the path to load with, when error is kNone
  std::string message;        // otherwise, why not, naming where the request came from
};

// The one rule for the path a model loads with (LoadOptions::max_isa, the
// benchmarks' --isa): `requested` if it is not empty (called `source` in the
// message), else the QRT_ISA environment variable if it is set and not empty,
// else BestIsa of this CPU. A name ParseIsa does not know, or a path this CPU
// does not support, is an error, never quietly replaced by another path.
IsaResolution ResolveIsa(std::string_view requested, std::string_view source);

}  // namespace qrt::kernels
