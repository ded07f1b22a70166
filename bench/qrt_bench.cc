// qrt-bench: measures the latency of one .qrt model on one session.
//
//   qrt-bench model.qrt --iters 200 --profile
//   qrt-bench model.qrt --input image=cat.npy --json
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "qrt/qrt.h"
#include "tool_common.h"

namespace qrt::tools {
namespace {

constexpr const char* kDescription = R"(Measures the latency of a .qrt model on one session.

Inputs not given with --input NAME=FILE.npy get deterministic pseudo-random
data (int8 over the whole range, float32 in [-1, 1)), the same on every run.
--input follows qrt-run's rules (see qrt-run --help).

--threads sets the session's thread count (the calling thread included).

--profile records every operator's time; this adds a little overhead to the
latencies reported beside it.)";

struct Args {
  std::string model_path;
  int threads = 1;
  int warmup = 10;
  int iters = 100;
  std::vector<std::string> inputs;
  std::string isa;
  bool profile = false;
  bool json = false;
};

struct LatencyStats {
  double min_ms = 0.0;
  double median_ms = 0.0;
  double p90_ms = 0.0;
  double mean_ms = 0.0;
  double max_ms = 0.0;
  double throughput_per_s = 0.0;
};

struct OperatorTime {
  const OperatorProfile* op = nullptr;
  size_t index = 0;  // position in graph order
  double mean_ms = 0.0;
  double share_pct = 0.0;
};

Status ValidateArgs(const Args& args) {
  const auto too_small = [](const char* flag, int value, int min) {
    return Status(StatusCode::kInvalidArgument, std::string(flag) +
                                                    " must be >= " + std::to_string(min) +
                                                    " (got " + std::to_string(value) + ")");
  };
  if (args.iters < 1) return too_small("--iters", args.iters, 1);
  if (args.warmup < 0) return too_small("--warmup", args.warmup, 0);
  return Status::Ok();
}

// Written straight into the session's input, without a copy (a detector's float
// input is megabytes, and the peak resident memory is reported). Derived from raw
// engine bits rather than <random> distributions, whose output differs between
// standard libraries, so every platform benchmarks the same data.
Status FillRandomInput(Session* session, const TensorInfo& info, std::mt19937* rng) {
  if (info.type == ElementType::kInt8) {
    std::span<int8_t> values;
    QRT_RETURN_IF_ERROR(session->MutableInput(info.name, &values));
    for (int8_t& v : values) v = static_cast<int8_t>(static_cast<uint8_t>((*rng)() >> 24));
    return Status::Ok();
  }
  std::span<float> values;
  QRT_RETURN_IF_ERROR(session->MutableInput(info.name, &values));
  for (float& v : values) v = static_cast<float>((*rng)() >> 8) * 0x1p-23f - 1.0f;
  return Status::Ok();
}

Status FeedInputs(const Model& model, const std::vector<InputSpec>& specs, Session* session) {
  std::mt19937 rng(20240601);
  for (const TensorInfo& input : model.inputs()) {
    const InputSpec* spec = FindInputSpec(specs, input.name);
    if (spec != nullptr) {
      QRT_RETURN_IF_ERROR(FeedInputFile(session, input, spec->path));
    } else {
      QRT_RETURN_IF_ERROR(FillRandomInput(session, input, &rng));
    }
  }
  return Status::Ok();
}

Status TimedRuns(Session* session, int count, std::vector<double>* latencies_ms) {
  for (int i = 0; i < count; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const Status status = session->Run();
    const auto end = std::chrono::steady_clock::now();
    if (!status.ok()) return Status(status.code(), "run failed: " + status.ToString());
    latencies_ms->push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  return Status::Ok();
}

LatencyStats Summarize(std::vector<double> latencies_ms) {
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const size_t n = latencies_ms.size();
  LatencyStats stats;
  double total = 0.0;
  for (double ms : latencies_ms) total += ms;
  stats.min_ms = latencies_ms.front();
  stats.max_ms = latencies_ms.back();
  stats.median_ms =
      n % 2 == 1 ? latencies_ms[n / 2] : (latencies_ms[n / 2 - 1] + latencies_ms[n / 2]) / 2.0;
  // Nearest-rank percentile: the smallest latency at or above 90% of the runs.
  const auto rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n)));
  stats.p90_ms = latencies_ms[std::max<size_t>(rank, 1) - 1];
  stats.mean_ms = total / static_cast<double>(n);
  stats.throughput_per_s = total > 0.0 ? 1000.0 * static_cast<double>(n) / total : 0.0;
  return stats;
}

// The time of the measured runs only: the profile accumulates from the first
// run, so the warmup's share (`before`) is subtracted. Sorted slowest first.
std::vector<OperatorTime> OperatorTimes(const std::vector<OperatorProfile>& before,
                                        const std::vector<OperatorProfile>& after,
                                        std::vector<OperatorProfile>* measured) {
  measured->clear();
  double total_ms = 0.0;
  for (size_t i = 0; i < after.size(); ++i) {
    OperatorProfile op = after[i];
    if (i < before.size()) {
      op.total_ms -= before[i].total_ms;
      op.runs -= before[i].runs;
    }
    total_ms += op.total_ms;
    measured->push_back(std::move(op));
  }
  std::vector<OperatorTime> times;
  for (size_t i = 0; i < measured->size(); ++i) {
    const OperatorProfile& op = (*measured)[i];
    times.push_back({&op, i, op.runs > 0 ? op.total_ms / static_cast<double>(op.runs) : 0.0,
                     total_ms > 0.0 ? 100.0 * op.total_ms / total_ms : 0.0});
  }
  std::stable_sort(times.begin(), times.end(), [](const OperatorTime& a, const OperatorTime& b) {
    return a.op->total_ms > b.op->total_ms;
  });
  return times;
}

// The process's peak resident set so far (Linux reports ru_maxrss in KiB): the
// mapped model pages it touched, packed weights, the arena, and the tool itself.
size_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<size_t>(usage.ru_maxrss) * 1024;
}

size_t FileBytes(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : static_cast<size_t>(size);
}

// What running a model may hold resident: its file, the planned arena, and 8 MiB
// for the code, the libraries and the rest (what the runtime promises, README).
size_t RssBoundBytes(const Args& args, const Model& model) {
  return FileBytes(args.model_path) + model.arena_bytes() + (size_t{8} << 20);
}

void PrintJson(const Args& args, const Model& model, const LatencyStats& stats,
               const std::vector<OperatorTime>& times) {
  nlohmann::ordered_json report = {
      {"model", args.model_path},
      {"isa", model.isa()},
      {"threads", args.threads},
      {"warmup", args.warmup},
      {"iters", args.iters},
      {"latency_ms",
       {{"min", stats.min_ms},
        {"median", stats.median_ms},
        {"p90", stats.p90_ms},
        {"mean", stats.mean_ms},
        {"max", stats.max_ms}}},
      {"throughput_per_s", stats.throughput_per_s},
      {"arena_bytes", model.arena_bytes()},
      {"weight_bytes", model.weight_bytes()},
      {"model_file_bytes", FileBytes(args.model_path)},
      {"peak_rss_bytes", PeakRssBytes()},
      {"rss_bound_bytes", RssBoundBytes(args, model)},
  };
  if (args.profile) {
    nlohmann::ordered_json operators = nlohmann::ordered_json::array();
    for (const OperatorTime& t : times) {
      operators.push_back({{"index", t.index},
                           {"name", t.op->name},
                           {"type", t.op->type},
                           {"kernel", t.op->kernel},
                           {"mean_ms", t.mean_ms},
                           {"share_pct", t.share_pct}});
    }
    report["operators"] = std::move(operators);
  }
  std::cout << report.dump(2) << "\n";
}

void PrintText(const Args& args, const Model& model, const LatencyStats& stats,
               const std::vector<OperatorTime>& times) {
  std::printf("model         %s\n", args.model_path.c_str());
  std::printf("kernel path   %s\n", model.isa());
  std::printf("threads       %d\n", args.threads);
  std::printf("arena bytes   %zu\n", model.arena_bytes());
  std::printf("weight bytes  %zu\n", model.weight_bytes());
  std::printf("model file    %zu bytes\n", FileBytes(args.model_path));
  std::printf("peak RSS      %zu bytes (bound: file + arena + 8 MiB = %zu)\n", PeakRssBytes(),
              RssBoundBytes(args, model));
  std::printf("runs          %d warmup, %d measured\n", args.warmup, args.iters);
  std::printf("latency ms    min %.4g  median %.4g  p90 %.4g  mean %.4g  max %.4g\n", stats.min_ms,
              stats.median_ms, stats.p90_ms, stats.mean_ms, stats.max_ms);
  std::printf("throughput    %.1f inferences/s\n", stats.throughput_per_s);
  if (!args.profile) return;
  // Operators without a name are shown by their position in the graph.
  std::vector<std::string> names;
  for (const OperatorTime& t : times) {
    names.push_back(t.op->name.empty() ? "#" + std::to_string(t.index) : t.op->name);
  }
  size_t name_width = 8;
  size_t type_width = 4;
  size_t kernel_width = 6;
  for (size_t i = 0; i < times.size(); ++i) {
    const OperatorTime& t = times[i];
    name_width = std::max(name_width, names[i].size());
    type_width = std::max(type_width, t.op->type.size());
    kernel_width = std::max(kernel_width, t.op->kernel.size());
  }
  const auto width = [](size_t w) { return static_cast<int>(w); };
  std::printf("\n%-*s  %-*s  %-*s  %10s  %7s\n", width(name_width), "operator", width(type_width),
              "type", width(kernel_width), "kernel", "mean ms", "share %");
  for (size_t i = 0; i < times.size(); ++i) {
    const OperatorTime& t = times[i];
    std::printf("%-*s  %-*s  %-*s  %10.4g  %7.2f\n", width(name_width), names[i].c_str(),
                width(type_width), t.op->type.c_str(), width(kernel_width), t.op->kernel.c_str(),
                t.mean_ms, t.share_pct);
  }
}

Status Bench(const Args& args) {
  QRT_RETURN_IF_ERROR(ValidateArgs(args));
  std::shared_ptr<const Model> model;
  std::vector<InputSpec> specs;
  QRT_RETURN_IF_ERROR(LoadModelAndInputs(args.model_path, args.isa, args.inputs, &model, &specs));
  SessionOptions options;
  options.profile = args.profile;
  options.num_threads = args.threads;
  std::unique_ptr<Session> session;
  QRT_RETURN_IF_ERROR(CreateSession(model, options, &session));
  QRT_RETURN_IF_ERROR(FeedInputs(*model, specs, session.get()));

  std::vector<double> latencies_ms;
  QRT_RETURN_IF_ERROR(TimedRuns(session.get(), args.warmup, &latencies_ms));
  const std::vector<OperatorProfile> before = session->profile();
  latencies_ms.clear();
  latencies_ms.reserve(static_cast<size_t>(args.iters));
  QRT_RETURN_IF_ERROR(TimedRuns(session.get(), args.iters, &latencies_ms));

  const LatencyStats stats = Summarize(std::move(latencies_ms));
  std::vector<OperatorProfile> measured;
  const std::vector<OperatorTime> times = OperatorTimes(before, session->profile(), &measured);
  if (args.json) {
    PrintJson(args, *model, stats, times);
  } else {
    PrintText(args, *model, stats, times);
  }
  return Status::Ok();
}

int Main(int argc, char** argv) {
  CLI::App app(kDescription, "qrt-bench");
  Args args;
  app.add_option("model", args.model_path, "The .qrt model file")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--threads", args.threads, "Threads per run")
      ->check(CLI::Range(1, kMaxSessionThreads))
      ->capture_default_str();
  app.add_option("--warmup", args.warmup, "Untimed runs first (>= 0)")->capture_default_str();
  app.add_option("--iters", args.iters, "Timed runs (>= 1)")->capture_default_str();
  app.add_option("-i,--input", args.inputs,
                 "NAME=FILE.npy (a bare FILE.npy for a one-input model)");
  AddIsaOption(&app, &args.isa);
  app.add_flag("--profile", args.profile, "Print each operator's mean time and share");
  app.add_flag("--json", args.json, "Print one JSON object instead of text");
  CLI11_PARSE(app, argc, argv);

  return ReportError("qrt-bench", Bench(args));
}

}  // namespace
}  // namespace qrt::tools

int main(int argc, char** argv) {
  return qrt::tools::RunToolMain("qrt-bench", argc, argv, qrt::tools::Main);
}
