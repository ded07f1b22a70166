// PaddleOCR's text-orientation classifier (ch_ppocr_mobile_v2.0_cls, exported to ONNX
// opset 9 by paddle2onnx) through the converter's importer and float reference
// executor, on text lines rendered by scripts/render_text_lines.py:
//  * the model imports with its dynamic input pinned to 1x3x48x192;
//  * float accuracy against the true orientation is at least 90% (the float baseline
//    the int8 model is later held to);
//  * outputs and logits agree within 1e-4 with scripts/onnx_reference_outputs.py, an
//    independent NumPy implementation of the ONNX operators (Debian's python3-onnx 1.12
//    predates onnx.reference.ReferenceEvaluator).
// Missing model or data fail with the commands that produce them: this test is labelled
// "slow;model", so CI's fast run does not need them.
#include <doctest/doctest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "converter/onnx/import.h"
#include "converter/reference/executor.h"
#include "npy.h"

namespace qrt::converter {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelFile = "ch_ppocr_mobile_v2.0_cls_infer.onnx";
const Shape kInputShape = {1, 3, 48, 192};
// Labels in the order of the model's two outputs.
constexpr int kClassLabels[2] = {0, 180};
constexpr double kMinFloatAccuracy = 0.90;
constexpr float kReferenceTolerance = 1e-4F;

std::string RepoPath(const std::string& relative) {
  return (fs::path(QRT_SOURCE_DIR) / relative).string();
}

std::string ModelPath() { return RepoPath("models/" + std::string(kModelFile)); }

std::string DataDir() {
  const char* env = std::getenv("QRT_OCR_DATA");
  return env != nullptr && *env != '\0' ? std::string(env) : RepoPath("build/ocr-data");
}

// The commands that produce everything this test reads.
std::string HowToProduce() {
  const std::string data = DataDir();
  return "produce them with (from the repository root; QRT_OCR_DATA overrides " + data +
         "):\n"
         "  scripts/fetch-models.sh\n"
         "  python3 scripts/render_text_lines.py --out " +
         data +
         " --split calib --count 200 --seed 1\n"
         "  python3 scripts/render_text_lines.py --out " +
         data +
         " --split test --count 500 --seed 2\n"
         "  python3 scripts/onnx_reference_outputs.py --tensor p2o.Add.87 "
         "models/" +
         kModelFile + " " + data + "/onnx-ref " + data + "/test/inputs/0000[0-7].npy";
}

// The name of the model's single graph input, read from the ONNX file itself.
std::string ModelInputName(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  onnx::ModelProto model;
  REQUIRE_MESSAGE(model.ParseFromIstream(&file), "cannot parse " << path);
  std::vector<std::string> names;
  for (const auto& input : model.graph().input()) {
    bool is_initializer = false;
    for (const auto& init : model.graph().initializer()) {
      is_initializer = is_initializer || init.name() == input.name();
    }
    if (!is_initializer) names.push_back(input.name());
  }
  REQUIRE_MESSAGE(names.size() == 1, path << " has " << names.size() << " inputs, expected 1");
  return names[0];
}

// The model imported with its input pinned to 1x3x48x192; fails the test when absent.
struct Classifier {
  Graph graph;
  std::string input;
  std::string logits;  // the Softmax's input, compared before saturation
};

void LoadClassifier(Classifier* c) {
  const std::string path = ModelPath();
  REQUIRE_MESSAGE(fs::exists(path), "missing model " << path << "; " << HowToProduce());
  c->input = ModelInputName(path);
  ImportOptions options;
  options.input_shapes[c->input] = kInputShape;
  const Status status = ImportOnnxFile(path, options, &c->graph);
  REQUIRE_MESSAGE(status.ok(), "import of " << path << " failed: " << status.ToString());
  REQUIRE(c->graph.outputs.size() == 1);
  for (const Node& node : c->graph.nodes) {
    if (node.op_type == "Softmax" && node.outputs[0] == c->graph.outputs[0]) {
      c->logits = node.inputs[0];
    }
  }
  REQUIRE_MESSAGE(!c->logits.empty(), "the output is not produced by a Softmax");
}

TensorData LoadInput(const std::string& path) {
  tools::NpyArray array;
  const Status read = tools::ReadNpy(path, &array);
  REQUIRE_MESSAGE(read.ok(), read.ToString());
  REQUIRE_MESSAGE(array.shape == kInputShape,
                  path << " has shape " << ShapeToString(array.shape) << ", expected 1x3x48x192");
  std::vector<float> values;
  const Status convert = tools::NpyToVector(array, &values);
  REQUIRE_MESSAGE(convert.ok(), convert.ToString());
  return TensorData::FromVector<float>(kInputShape, values);
}

std::vector<float> LoadFloats(const std::string& path) {
  tools::NpyArray array;
  const Status read = tools::ReadNpy(path, &array);
  REQUIRE_MESSAGE(read.ok(), read.ToString());
  std::vector<float> values;
  const Status convert = tools::NpyToVector(array, &values);
  REQUIRE_MESSAGE(convert.ok(), convert.ToString());
  return values;
}

struct Result {
  std::vector<float> probabilities;
  std::vector<float> logits;
};

Result Classify(const Classifier& c, const ReferenceExecutor& executor, TensorData input) {
  std::map<std::string, TensorData> inputs;
  inputs.emplace(c.input, std::move(input));
  std::map<std::string, TensorData> outputs;
  Result result;
  const Status status =
      executor.Run(inputs, &outputs, [&](const std::string& name, const TensorData& value) {
        if (name == c.logits) result.logits = value.ToFloats();
      });
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  const TensorData& out = outputs.at(c.graph.outputs[0]);
  REQUIRE_MESSAGE(out.shape() == Shape({1, 2}), "output shape " << ShapeToString(out.shape()));
  result.probabilities = out.ToFloats();
  return result;
}

// "file.npy label" lines; the files are in the split's inputs/ folder.
std::vector<std::pair<std::string, int>> ReadLabels(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::pair<std::string, int>> labels;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string name;
    int label = -1;
    REQUIRE_MESSAGE(static_cast<bool>(fields >> name >> label), path << ": bad line: " << line);
    REQUIRE_MESSAGE((label == 0 || label == 180), path << ": bad label in: " << line);
    labels.emplace_back(name, label);
  }
  return labels;
}

TEST_CASE("the PP-OCR orientation classifier imports with a pinned 1x3x48x192 input") {
  Classifier c;
  LoadClassifier(&c);
  CHECK(c.input == "x");
  const Tensor* input = c.graph.FindTensor(c.input);
  REQUIRE(input != nullptr);
  CHECK(input->shape == kInputShape);
  const Tensor* output = c.graph.FindTensor(c.graph.outputs[0]);
  REQUIRE(output != nullptr);
  CHECK(output->shape == Shape({1, 2}));
  MESSAGE("opset " << c.graph.opset_version << ", " << c.graph.nodes.size()
                   << " nodes after import, logits tensor '" << c.logits << "'");
}

TEST_CASE("float accuracy on rendered text lines is at least 90%") {
  Classifier c;
  LoadClassifier(&c);
  const std::string split = DataDir() + "/test";
  const std::string labels_path = split + "/labels.txt";
  REQUIRE_MESSAGE(fs::exists(labels_path), "missing " << labels_path << "; " << HowToProduce());
  const auto labels = ReadLabels(labels_path);
  REQUIRE_MESSAGE(labels.size() >= 100,
                  labels_path << " lists only " << labels.size() << " images; " << HowToProduce());

  const ReferenceExecutor executor(c.graph);
  int correct = 0;
  int per_class_total[2] = {0, 0};
  int per_class_correct[2] = {0, 0};
  double seconds = 0;
  for (const auto& [name, label] : labels) {
    TensorData input = LoadInput(split + "/inputs/" + name);
    const auto start = std::chrono::steady_clock::now();
    const Result r = Classify(c, executor, std::move(input));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(std::fabs(r.probabilities[0] + r.probabilities[1] - 1.0F) < 1e-5F);
    const int predicted = kClassLabels[r.probabilities[1] > r.probabilities[0] ? 1 : 0];
    const int k = label == 180 ? 1 : 0;
    ++per_class_total[k];
    if (predicted == label) {
      ++correct;
      ++per_class_correct[k];
    }
  }
  const double accuracy = static_cast<double>(correct) / static_cast<double>(labels.size());
  MESSAGE("float accuracy " << correct << "/" << labels.size() << " = " << 100.0 * accuracy
                            << "% (label 0: " << per_class_correct[0] << "/" << per_class_total[0]
                            << ", label 180: " << per_class_correct[1] << "/" << per_class_total[1]
                            << "); float executor "
                            << 1000.0 * seconds / static_cast<double>(labels.size())
                            << " ms/image");
  CHECK(accuracy >= kMinFloatAccuracy);
}

TEST_CASE("the float executor matches an independent NumPy ONNX reference within 1e-4") {
  Classifier c;
  LoadClassifier(&c);
  const std::string ref_dir = DataDir() + "/onnx-ref";
  const std::string test_dir = DataDir() + "/test/inputs";
  std::vector<std::string> stems;
  if (fs::is_directory(ref_dir)) {
    for (const auto& entry : fs::directory_iterator(ref_dir)) {
      const fs::path p = entry.path();
      // "00000.npy" holds the output; "00000.<tensor>.npy" an intermediate.
      if (p.extension() == ".npy" && p.stem().extension().empty()) {
        stems.push_back(p.stem().string());
      }
    }
  }
  REQUIRE_MESSAGE(!stems.empty(), "no reference outputs in " << ref_dir << "; " << HowToProduce());
  std::sort(stems.begin(), stems.end());

  const ReferenceExecutor executor(c.graph);
  float max_prob_diff = 0;
  float max_logit_diff = 0;
  int logits_compared = 0;
  for (const std::string& stem : stems) {
    CAPTURE(stem);
    const std::string input_path = test_dir + "/" + stem + ".npy";
    REQUIRE_MESSAGE(fs::exists(input_path), "reference " << stem << " has no input " << input_path
                                                         << "; " << HowToProduce());
    const Result r = Classify(c, executor, LoadInput(input_path));
    const std::vector<float> expected = LoadFloats(ref_dir + "/" + stem + ".npy");
    REQUIRE(expected.size() == r.probabilities.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      const float diff = std::fabs(expected[i] - r.probabilities[i]);
      max_prob_diff = std::max(max_prob_diff, diff);
      CHECK(diff <= kReferenceTolerance);
    }
    const std::string logits_path = ref_dir + "/" + stem + "." + c.logits + ".npy";
    if (fs::exists(logits_path)) {
      const std::vector<float> expected_logits = LoadFloats(logits_path);
      REQUIRE(expected_logits.size() == r.logits.size());
      for (size_t i = 0; i < expected_logits.size(); ++i) {
        const float diff = std::fabs(expected_logits[i] - r.logits[i]);
        max_logit_diff = std::max(max_logit_diff, diff);
        CHECK(diff <= kReferenceTolerance);
      }
      ++logits_compared;
    }
  }
  MESSAGE(stems.size() << " images: max |probability diff| " << max_prob_diff
                       << ", max |logit diff| " << max_logit_diff << " (logits of "
                       << logits_compared << ")");
  CHECK_MESSAGE(
      logits_compared == static_cast<int>(stems.size()),
      "reference logits missing; run onnx_reference_outputs.py with --tensor " << c.logits);
}

}  // namespace
}  // namespace qrt::converter
