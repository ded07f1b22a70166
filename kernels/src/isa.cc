#include "qrt/kernels/isa.h"

#include <array>
#include <cstdlib>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace qrt::kernels {
namespace {

constexpr std::array<std::pair<Isa, const char*>, 5> kIsaNames = {{
    {Isa::kReference, "reference"},
    {Isa::kAvx2, "avx2"},
    {Isa::kAvx512Vnni, "avx512vnni"},
    {Isa::kNeon, "neon"},
    {Isa::kNeonDot, "neondot"},
}};

#if defined(__x86_64__) || defined(__i386__)
// Named cpuid/XCR0 bits (Intel SDM vol. 2A, CPUID leaf 1 and 7; vol. 1 13.3).
constexpr unsigned kLeaf1EcxOsxsave = 1u << 27;
constexpr unsigned kLeaf1EcxAvx = 1u << 28;
constexpr unsigned kLeaf7EbxAvx2 = 1u << 5;
constexpr unsigned kLeaf7EbxAvx512F = 1u << 16;
constexpr unsigned kLeaf7EbxAvx512Dq = 1u << 17;
constexpr unsigned kLeaf7EbxAvx512Cd = 1u << 28;
constexpr unsigned kLeaf7EbxAvx512Bw = 1u << 30;
constexpr unsigned kLeaf7EbxAvx512Vl = 1u << 31;
constexpr unsigned kLeaf7EcxAvx512Vbmi = 1u << 1;
constexpr unsigned kLeaf7EcxAvx512Vnni = 1u << 11;
constexpr unsigned long long kXcr0SseAvx = 0x6;         // XMM and YMM state
constexpr unsigned long long kXcr0Avx512 = 0x6 | 0xE0;  // plus opmask, ZMM_Hi256, Hi16_ZMM

unsigned long long ReadXcr0() {
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}
#endif

}  // namespace

const char* IsaName(Isa isa) {
  for (const auto& [value, name] : kIsaNames) {
    if (value == isa) return name;
  }
  return "unknown";
}

std::optional<Isa> ParseIsa(std::string_view name) {
  for (const auto& [value, isa_name] : kIsaNames) {
    if (name == isa_name) return value;
  }
  return std::nullopt;
}

CpuFeatures DetectCpuFeatures() {
  CpuFeatures cpu;
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return cpu;
  if ((ecx & kLeaf1EcxOsxsave) == 0 || (ecx & kLeaf1EcxAvx) == 0) return cpu;
  const unsigned long long xcr0 = ReadXcr0();
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return cpu;
  const bool ymm_state = (xcr0 & kXcr0SseAvx) == kXcr0SseAvx;
  const bool zmm_state = (xcr0 & kXcr0Avx512) == kXcr0Avx512;
  cpu.avx2 = ymm_state && (ebx & kLeaf7EbxAvx2) != 0;
  // DQ and CD too: the xsimd AVX-512 code is compiled with them (every VNNI CPU has both).
  constexpr unsigned kAvx512Ebx = kLeaf7EbxAvx512F | kLeaf7EbxAvx512Dq | kLeaf7EbxAvx512Cd |
                                  kLeaf7EbxAvx512Bw | kLeaf7EbxAvx512Vl;
  cpu.avx512_vnni =
      zmm_state && cpu.avx2 && (ebx & kAvx512Ebx) == kAvx512Ebx && (ecx & kLeaf7EcxAvx512Vnni) != 0;
  cpu.avx512_vbmi = cpu.avx512_vnni && (ecx & kLeaf7EcxAvx512Vbmi) != 0;
#elif defined(__aarch64__) && defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  cpu.neon = (hwcap & HWCAP_ASIMD) != 0;
  cpu.neon_dot = cpu.neon && (hwcap & HWCAP_ASIMDDP) != 0;
#endif
  return cpu;
}

bool CpuSupports(const CpuFeatures& cpu, Isa isa) {
  switch (isa) {
    case Isa::kReference:
      return true;
    case Isa::kAvx2:
      return cpu.avx2;
    case Isa::kAvx512Vnni:
      return cpu.avx512_vnni;
    case Isa::kNeon:
      return cpu.neon;
    case Isa::kNeonDot:
      return cpu.neon_dot;
  }
  return false;
}

Isa BestIsa(const CpuFeatures& cpu) {
  if (cpu.avx512_vnni) return Isa::kAvx512Vnni;
  if (cpu.avx2) return Isa::kAvx2;
  if (cpu.neon_dot) return Isa::kNeonDot;
  if (cpu.neon) return Isa::kNeon;
  return Isa::kReference;
}

IsaResolution ResolveIsa(std::string_view requested, std::string_view source) {
  const CpuFeatures cpu = DetectCpuFeatures();
  IsaResolution r;
  if (requested.empty()) {
    const char* env = std::getenv("QRT_ISA");
    if (env == nullptr || *env == '\0') {
      r.isa = BestIsa(cpu);
      return r;
    }
    requested = env;
    source = "QRT_ISA";
  }
  const std::optional<Isa> parsed = ParseIsa(requested);
  if (!parsed) {
    r.error = IsaRequestError::kUnknownName;
    r.message = std::string(source) + " is '" + std::string(requested) +
                "'; expected reference, avx2, avx512vnni, neon or neondot";
  } else if (!CpuSupports(cpu, *parsed)) {
    r.error = IsaRequestError::kUnsupportedByCpu;
    r.message = std::string(source) + " asks for '" + std::string(requested) +
                "', which this CPU does not support";
  } else {
    r.isa = *parsed;
  }
  return r;
}

}  // namespace qrt::kernels
