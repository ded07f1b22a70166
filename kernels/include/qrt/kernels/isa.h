// Instruction-set paths and CPU feature detection. The runtime picks a path once
// when a model loads: the best one the CPU supports, capped by the QRT_ISA
// environment variable or LoadOptions (like ONEDNN_MAX_CPU_ISA).
#pragma once

#include <optional>
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
  bool neon = false;         // Armv8 Advanced SIMD
  bool neon_dot = false;     // Armv8.2 SDOT/UDOT
};

// Reads cpuid/xgetbv (x86) or getauxval (aarch64) once.
CpuFeatures DetectCpuFeatures();

// Whether the CPU can run a path. kReference always can.
bool CpuSupports(const CpuFeatures& cpu, Isa isa);

// The most capable path the CPU supports.
Isa BestIsa(const CpuFeatures& cpu);

}  // namespace qrt::kernels
