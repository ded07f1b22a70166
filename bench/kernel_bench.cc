// qrt-kernel-bench: qrt's GEMM-shaped kernels (fully connected, convolution,
// depthwise) against oneDNN's int8 primitives on the same shapes and operands,
// in one process, repetitions interleaved, at each thread count; and the
// measured single-core vpdpbusd peak both are read against.
//
//   qrt-kernel-bench                       # every shape, 1 and 2 threads
//   qrt-kernel-bench --filter gemm --threads 1 --json kernels.json
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "atomic_file.h"
#include "interleaved_timer.h"
#include "kernel_cases.h"
#include "onednn_int8.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/isa.h"
#include "qrt_gemm_runner.h"
#include "read_bandwidth.h"
#include "thread_pool.h"
#include "tool_common.h"
#include "vnni_peak.h"

namespace qrt::bench {
namespace {

constexpr const char* kTool = "qrt-kernel-bench";

constexpr const char* kDescription =
    R"(Measures qrt's GEMM-shaped kernels against oneDNN's int8 primitives.

Both run the same shapes on the same random operands in this process: u8
activations (qrt: int8 with zero point -128), s8 weights, per-output-channel
requantization, ReLU, u8 output. Repetitions alternate between the two (A B,
B A, ...); GOP/s are medians over them, qrt/oneDNN is the median of the
per-repetition speed ratios (above 1: qrt is faster). The outputs are compared
(at most 1 apart: oneDNN rounds in float) so both are known to compute the
same thing. int4 cases run qrt's int4 kernels against oneDNN int8 (oneDNN has
no int4 weights). %peak is GOP/s over threads x the measured single-core
vpdpbusd peak (AVX-512 VNNI CPUs only). GEMMs with M = 1, which read each
weight once per run, also get their weight streams in GB/s at one thread,
against a read-only loop over as many bytes (AVX-512 CPUs only). --isa /
QRT_ISA cap qrt's path only; oneDNN's follows ONEDNN_MAX_CPU_ISA.)";

struct Args {
  std::string filter;
  std::vector<int> threads = {1, 2};
  double min_time_s = 0.5;
  int reps = 20;
  bool reps_given = false;
  std::string json_path;
  std::string isa;
};

struct Result {
  std::string name;
  int threads = 0;
  kernels::Isa qrt_isa = kernels::Isa::kReference;
  std::string onednn_impl;
  PairTiming timing;
  double ops = 0.0;
  int max_abs_diff = 0;
  // M = 1 GEMMs: the bytes of weights each run reads (qrt's int4 half of
  // oneDNN's int8), and the read-only loop's GB/s over qrt's (1 thread).
  bool single_row = false;
  double qrt_weight_bytes = 0.0;
  double onednn_weight_bytes = 0.0;
  std::optional<double> read_loop_gbps;
};

std::string FormatNumber(const char* format, double value) {
  char text[32];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

Status ValidateArgs(const Args& args) {
  for (int t : args.threads) {
    if (t < 1) {
      return Status(StatusCode::kInvalidArgument,
                    "--threads must be >= 1 (got " + std::to_string(t) + ")");
    }
  }
  if (args.reps < 1) {
    return Status(StatusCode::kInvalidArgument,
                  "--reps must be >= 1 (got " + std::to_string(args.reps) + ")");
  }
  if (!(args.min_time_s > 0.0)) {
    return Status(StatusCode::kInvalidArgument,
                  "--min-time must be > 0 (got " + FormatNumber("%g", args.min_time_s) + ")");
  }
  return Status::Ok();
}

// The path the runtime would load with: --isa, else QRT_ISA, else the best the
// CPU has (kernels::ResolveIsa, the rule LoadOptions::max_isa follows).
Status ResolveIsa(const std::string& flag, kernels::Isa* isa) {
  const kernels::IsaResolution r = kernels::ResolveIsa(flag, "--isa");
  if (r.error == kernels::IsaRequestError::kNone) {
    *isa = r.isa;
    return Status::Ok();
  }
  return Status(r.error == kernels::IsaRequestError::kUnknownName ? StatusCode::kInvalidArgument
                                                                  : StatusCode::kUnsupportedIsa,
                r.message);
}

std::optional<double> MeasurePeak() {
#if QRT_BENCH_HAVE_VNNI_PEAK
  if (kernels::DetectCpuFeatures().avx512_vnni) return MeasureVpdpbusdPeakGops();
#endif
  return std::nullopt;
}

// The read-only loop's GB/s over `bytes` (read_bandwidth.h), where the CPU has
// AVX-512.
std::optional<double> MeasureReadLoop(double bytes) {
#if QRT_BENCH_HAVE_VNNI_PEAK
  if (kernels::DetectCpuFeatures().avx512_vnni) {
    return MeasureReadBandwidthGbps(static_cast<size_t>(bytes));
  }
#endif
  static_cast<void>(bytes);
  return std::nullopt;
}

std::string CpuName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

// qrt's int8 output y and oneDNN's u8 output u stand for the same value when
// u == y + 128; oneDNN's float rounding may differ by one.
int MaxAbsDiff(const int8_t* qrt, const uint8_t* onednn, int64_t count) {
  int max_diff = 0;
  for (int64_t i = 0; i < count; ++i) {
    max_diff = std::max(max_diff, std::abs((qrt[i] + 128) - onednn[i]));
  }
  return max_diff;
}

double Gops(const Result& r, double seconds) { return r.ops / seconds * 1e-9; }

std::optional<double> ShareOfPeak(const Result& r, double seconds, std::optional<double> peak) {
  if (!peak) return std::nullopt;
  return Gops(r, seconds) / (*peak * r.threads);
}

std::string Percent(std::optional<double> share) {
  return share ? FormatNumber("%.1f%%", 100.0 * *share) : "n/a";
}

double Gbps(double bytes, double seconds) { return bytes / seconds * 1e-9; }

constexpr const char* kStreamFormat = "%-26s %10s %9s %12s %15s %10s\n";

// The weight streams of the single-threaded M = 1 results.
void PrintStreams(const std::vector<Result>& results) {
  std::printf(
      "\nM = 1 GEMMs read every weight once per run. Their weight streams at 1 thread, and a\n"
      "read-only loop over as many bytes (the most one core streams from where they lie):\n");
  std::printf(kStreamFormat, "case", "weight MB", "qrt GB/s", "oneDNN GB/s", "read loop GB/s",
              "qrt share");
  for (const Result& r : results) {
    if (!r.single_row || r.threads != 1) continue;
    const double qrt = Gbps(r.qrt_weight_bytes, r.timing.a_seconds);
    std::printf(
        kStreamFormat, r.name.c_str(), FormatNumber("%.2f", r.qrt_weight_bytes * 1e-6).c_str(),
        FormatNumber("%.1f", qrt).c_str(),
        FormatNumber("%.1f", Gbps(r.onednn_weight_bytes, r.timing.b_seconds)).c_str(),
        r.read_loop_gbps ? FormatNumber("%.1f", *r.read_loop_gbps).c_str() : "n/a",
        Percent(r.read_loop_gbps ? std::optional<double>(qrt / *r.read_loop_gbps) : std::nullopt)
            .c_str());
  }
}

constexpr const char* kRowFormat = "%-26s %3s  %-10s %10s %13s %11s %10s %13s %5s  %s\n";

void PrintHeader() {
  std::printf(kRowFormat, "case", "thr", "qrt path", "qrt GOP/s", "oneDNN GOP/s", "qrt/oneDNN",
              "qrt %peak", "oneDNN %peak", "diff", "oneDNN impl");
}

void PrintRow(const Result& r, std::optional<double> peak) {
  std::printf(kRowFormat, r.name.c_str(), std::to_string(r.threads).c_str(),
              kernels::IsaName(r.qrt_isa),
              FormatNumber("%.1f", Gops(r, r.timing.a_seconds)).c_str(),
              FormatNumber("%.1f", Gops(r, r.timing.b_seconds)).c_str(),
              FormatNumber("%.2f", r.timing.b_over_a).c_str(),
              Percent(ShareOfPeak(r, r.timing.a_seconds, peak)).c_str(),
              Percent(ShareOfPeak(r, r.timing.b_seconds, peak)).c_str(),
              std::to_string(r.max_abs_diff).c_str(), r.onednn_impl.c_str());
  std::fflush(stdout);
}

nlohmann::json ResultJson(const Result& r, std::optional<double> peak) {
  const auto optional = [](std::optional<double> v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"case", r.name},
          {"threads", r.threads},
          {"qrt_isa", kernels::IsaName(r.qrt_isa)},
          {"onednn_impl", r.onednn_impl},
          {"ops_per_run", r.ops},
          {"qrt_median_s", r.timing.a_seconds},
          {"onednn_median_s", r.timing.b_seconds},
          {"qrt_gops", Gops(r, r.timing.a_seconds)},
          {"onednn_gops", Gops(r, r.timing.b_seconds)},
          {"qrt_min_s", r.timing.a_min_seconds},
          {"onednn_min_s", r.timing.b_min_seconds},
          {"ratio_qrt_over_onednn", r.timing.b_over_a},
          {"qrt_share_of_peak", optional(ShareOfPeak(r, r.timing.a_seconds, peak))},
          {"onednn_share_of_peak", optional(ShareOfPeak(r, r.timing.b_seconds, peak))},
          {"reps", r.timing.reps},
          {"qrt_runs_per_rep", r.timing.a_runs_per_rep},
          {"onednn_runs_per_rep", r.timing.b_runs_per_rep},
          {"max_abs_output_diff", r.max_abs_diff},
          {"qrt_weight_gbps", r.single_row
                                  ? nlohmann::json(Gbps(r.qrt_weight_bytes, r.timing.a_seconds))
                                  : nlohmann::json(nullptr)},
          {"onednn_weight_gbps",
           r.single_row ? nlohmann::json(Gbps(r.onednn_weight_bytes, r.timing.b_seconds))
                        : nlohmann::json(nullptr)},
          {"read_loop_gbps", optional(r.read_loop_gbps)}};
}

// Idle time between repetitions of multi-threaded runs (see TimingPlan::gap_s).
constexpr double kThreadedGapSeconds = 0.01;

Status MeasureCase(const kernels::KernelTable& table, const Operands& ops, const std::string& name,
                   int threads, TimingPlan plan, Result* result) {
  plan.gap_s = threads > 1 ? kThreadedGapSeconds : 0.0;
  internal::ThreadPool pool(threads);
  QrtGemmRunner qrt(table, ops, &pool);
  std::unique_ptr<OnednnInt8> onednn;
  QRT_RETURN_IF_ERROR(OnednnInt8::Create(ops, threads, &onednn));
  result->name = name;
  result->threads = threads;
  result->qrt_isa = qrt.isa();
  result->onednn_impl = onednn->impl();
  result->ops = OpsPerRun(ops.params);
  result->timing = TimeInterleaved([&] { qrt.Run(); }, [&] { onednn->Run(); }, plan);
  result->max_abs_diff = MaxAbsDiff(qrt.output(), onednn->output(), OutputElements(ops.params));
  const GemmShape shape = ShapeOf(ops.params);
  result->single_row = shape.m == 1;
  if (result->single_row) {
    const bool int4 = std::visit([](const auto& p) { return p.weight_type; }, ops.params) ==
                      kernels::WeightType::kInt4;
    result->onednn_weight_bytes = static_cast<double>(shape.k) * shape.n;
    result->qrt_weight_bytes = result->onednn_weight_bytes / (int4 ? 2.0 : 1.0);
    if (threads == 1) result->read_loop_gbps = MeasureReadLoop(result->qrt_weight_bytes);
  }
  return Status::Ok();
}

Status WriteJson(const std::string& path, const nlohmann::json& report) {
  const std::string text = report.dump(2) + "\n";
  return tools::WriteFileAtomically(path, {std::as_bytes(std::span(text.data(), text.size()))});
}

Status RunBenchmark(const Args& args) {
  QRT_RETURN_IF_ERROR(ValidateArgs(args));
  kernels::Isa isa{};
  QRT_RETURN_IF_ERROR(ResolveIsa(args.isa, &isa));
  const kernels::KernelTable table = kernels::SelectKernels(isa);

  // Seeds follow the position in the full list, so a filtered run measures the
  // same operands as the full one.
  std::vector<std::pair<KernelCase, uint32_t>> cases;
  uint32_t seed = 1;
  for (KernelCase& c : DefaultCases()) {
    if (c.name.find(args.filter) != std::string::npos) cases.emplace_back(std::move(c), seed);
    ++seed;
  }
  if (cases.empty()) {
    return Status(StatusCode::kInvalidArgument, "no case matches --filter '" + args.filter + "'");
  }
  const TimingPlan plan{args.min_time_s, args.reps, args.reps_given};

  const std::optional<double> peak = MeasurePeak();
  const std::string cpu = CpuName();
  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("qrt kernels (path cap %s) vs oneDNN %s int8 on %s, %u hardware threads\n",
              kernels::IsaName(isa), OnednnVersion().c_str(), cpu.c_str(), cores);
  if (peak) {
    std::printf("vpdpbusd peak, 1 core: %.1f GOP/s (%%peak = GOP/s / (threads x peak))\n", *peak);
  } else {
    std::printf("vpdpbusd peak: n/a (no AVX-512 VNNI)\n");
  }
  std::printf("medians of up to %d alternating repetitions, %.2f s per kernel\n\n", plan.reps,
              plan.min_time_s);
  PrintHeader();

  std::vector<Result> results;
  int worst_diff = 0;
  std::string worst_case;
  for (const auto& [c, case_seed] : cases) {
    const std::unique_ptr<Operands> ops = MakeOperands(c, case_seed);
    for (int threads : args.threads) {
      Result r;
      QRT_RETURN_IF_ERROR(MeasureCase(table, *ops, c.name, threads, plan, &r));
      PrintRow(r, peak);
      if (r.max_abs_diff > worst_diff) {
        worst_diff = r.max_abs_diff;
        worst_case = c.name + ", " + std::to_string(threads) + " threads";
      }
      results.push_back(std::move(r));
    }
  }
  const bool any_int4 = std::any_of(cases.begin(), cases.end(), [](const auto& c) {
    return std::visit([](const auto& p) { return p.weight_type; }, c.first.params) ==
           kernels::WeightType::kInt4;
  });
  if (any_int4) {
    std::printf(
        "\ngemm-int4: qrt runs int4 weights; oneDNN has no int4 weights and runs the same "
        "values as int8.\n");
  }
  if (std::any_of(results.begin(), results.end(),
                  [](const Result& r) { return r.single_row && r.threads == 1; })) {
    PrintStreams(results);
  }

  if (!args.json_path.empty()) {
    nlohmann::json report = {
        {"tool", kTool},
        {"cpu", cpu},
        {"hardware_threads", cores},
        {"qrt_max_isa", kernels::IsaName(isa)},
        {"onednn_version", OnednnVersion()},
        {"onednn_int4", "none: int4 cases run oneDNN with int8 weights"},
        {"vpdpbusd_peak_gops_1core", peak ? nlohmann::json(*peak) : nlohmann::json(nullptr)},
        {"min_time_s", plan.min_time_s},
        {"reps", plan.reps},
        {"results", nlohmann::json::array()}};
    for (const Result& r : results) report["results"].push_back(ResultJson(r, peak));
    QRT_RETURN_IF_ERROR(WriteJson(args.json_path, report));
  }
  if (worst_diff > 1) {
    return Status(StatusCode::kFailedPrecondition,
                  "qrt and oneDNN outputs differ by " + std::to_string(worst_diff) + " on " +
                      worst_case + ": they do not compute the same thing");
  }
  return Status::Ok();
}

int Main(int argc, char** argv) {
  Args args;
  CLI::App app(kDescription, kTool);
  app.add_option("--filter", args.filter, "Only the cases whose name contains this text");
  app.add_option("--threads", args.threads, "Thread counts, comma-separated (each >= 1)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--min-time", args.min_time_s,
                 "Measured seconds per kernel, case and thread count, split over the "
                 "repetitions")
      ->capture_default_str();
  CLI::Option* reps = app.add_option("--reps", args.reps,
                                     "Alternating repetitions (default 20, fewer for kernels "
                                     "slower than min-time / reps; exact when given)");
  app.add_option("--json", args.json_path, "Also write every figure to this JSON file");
  tools::AddIsaOption(&app, &args.isa);
  CLI11_PARSE(app, argc, argv);
  args.reps_given = reps->count() > 0;
  return tools::ReportError(kTool, RunBenchmark(args));
}

}  // namespace
}  // namespace qrt::bench

int main(int argc, char** argv) {
  return qrt::tools::RunToolMain("qrt-kernel-bench", argc, argv, qrt::bench::Main);
}
