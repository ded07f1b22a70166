// Checks a model qrt-convert --emit-qdq wrote, with ONNX's own C++ checker:
//
//   check_qdq_onnx MODEL.onnx
//
// The model must pass onnx::checker::check_model and strict shape inference with
// type checks, import opset 13 or later, and be in QDQ form: QuantizeLinear nodes
// and per-axis DequantizeLinear nodes reading int8 weight initializers. Exits 0 when
// it does, 1 with the reason otherwise.
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "check_qdq_onnx: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: check_qdq_onnx MODEL.onnx\n");
    return 2;
  }
  onnx::ModelProto model;
  std::ifstream file(argv[1], std::ios::binary);
  if (!file || !model.ParseFromIstream(&file)) return Fail(std::string("cannot parse ") + argv[1]);
  try {
    onnx::checker::check_model(model);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1));
  } catch (const std::exception& e) {
    return Fail(e.what());
  }
  int64_t opset = 0;
  for (const auto& o : model.opset_import()) {
    if (o.domain().empty()) opset = o.version();
  }
  if (opset < 13) return Fail("opset " + std::to_string(opset) + " is below 13");
  std::set<std::string> int8_initializers;
  for (const auto& t : model.graph().initializer()) {
    if (t.data_type() == onnx::TensorProto::INT8 && t.dims_size() > 0) {
      int8_initializers.insert(t.name());
    }
  }
  int quantize = 0, per_axis_weights = 0;
  for (const auto& n : model.graph().node()) {
    quantize += n.op_type() == "QuantizeLinear" ? 1 : 0;
    if (n.op_type() == "DequantizeLinear" && int8_initializers.count(n.input(0)) &&
        n.attribute_size() == 1 && n.attribute(0).name() == "axis") {
      ++per_axis_weights;
    }
  }
  if (quantize == 0 || per_axis_weights == 0) {
    return Fail(std::to_string(quantize) + " QuantizeLinear and " +
                std::to_string(per_axis_weights) + " per-axis int8 weight DequantizeLinear nodes");
  }
  std::printf("%s: valid QDQ model, opset %lld, %d QuantizeLinear, %d weight DequantizeLinear\n",
              argv[1], static_cast<long long>(opset), quantize, per_axis_weights);
  return 0;
}
