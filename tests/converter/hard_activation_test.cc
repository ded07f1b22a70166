// HardSigmoid and HardSwish LOOKUPs given by integer parameters (schema version 4):
// the table the runtime builds from the converter's parameters
// (HardActivationParameters, then kernels::ref::BuildHardActivationTable) against
// the table the converter computes from the float kernel (BuildLookupTable), over
// a sweep of input and output quantizations. They may differ only by one step, and
// only where the exact value lies on a rounding tie (the float table rounds half
// to even in float32, the integer one half up after rounding its offsets).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "lookup_table.h"
#include "qrt/kernels/reference.h"

namespace qrt::converter {
namespace {

struct Function {
  const char* op_type;
  double alpha;
  double beta;
};

Node MakeNode(const Function& f) {
  Node node;
  node.name = "f";
  node.op_type = f.op_type;
  node.inputs = {"x"};
  node.outputs = {"y"};
  if (std::string(f.op_type) == "HardSigmoid") {
    node.attributes["alpha"] = static_cast<float>(f.alpha);
    node.attributes["beta"] = static_cast<float>(f.beta);
  }
  return node;
}

double Exact(const Function& f, double x) {
  const double h = std::clamp(f.alpha * x + f.beta, 0.0, 1.0);
  return std::string(f.op_type) == "HardSwish" ? x * h : h;
}

TEST_CASE("hard activation tables built from parameters match the float-made tables") {
  // HardSwish; PP-OCR's HardSigmoid (alpha 0.2, beta 0.5); ONNX's default-free
  // HardSigmoid of HardSwish (1/6, 1/2); an asymmetric one.
  const std::vector<Function> functions = {{"HardSwish", 1.0 / 6, 0.5},
                                           {"HardSigmoid", 0.2, 0.5},
                                           {"HardSigmoid", 1.0 / 6, 0.5},
                                           {"HardSigmoid", 0.3, 0.2}};
  int tables = 0, entries_differing = 0;
  for (const Function& f : functions) {
    const Node node = MakeNode(f);
    for (const double input_max : {0.5, 2.0, 4.0, 7.5, 16.0, 40.0}) {
      for (const double input_min : {-0.3, -4.0, -13.0, -30.0}) {
        const calib::ActivationQuant in =
            calib::ChooseActivationQuant({input_min, input_max}, calib::FusedActivation::kNone);
        double lo = 0, hi = 0;
        for (int q = -128; q <= 127; ++q) {
          const double y = Exact(f, double{in.scale} * (q - in.zero_point));
          lo = std::min(lo, y);
          hi = std::max(hi, y);
        }
        const calib::ActivationQuant out =
            calib::ChooseActivationQuant({lo, hi}, calib::FusedActivation::kNone);
        CAPTURE(f.op_type);
        CAPTURE(f.alpha);
        CAPTURE(in.scale);
        CAPTURE(in.zero_point);
        CAPTURE(out.scale);
        CAPTURE(out.zero_point);
        std::vector<int8_t> float_table;
        const TensorData* operands[] = {nullptr};
        REQUIRE(BuildLookupTable(node, 17, 0, operands, in, out, FusedClamp{}, &float_table).ok());
        const auto hard = HardActivationParameters(node, in, out, -128, 127);
        REQUIRE(hard.has_value());
        const kernels::HardActivationParams p{hard->function() == schema::HardFunction::HARD_SWISH
                                                  ? kernels::HardFunction::kHardSwish
                                                  : kernels::HardFunction::kHardSigmoid,
                                              in.zero_point,
                                              hard->fraction_bits(),
                                              hard->offset(),
                                              hard->width(),
                                              {hard->multiplier(), hard->shift()},
                                              out.zero_point,
                                              {-128, 127}};
        std::vector<int8_t> built(256);
        kernels::ref::BuildHardActivationTable(p, built.data());
        ++tables;
        for (int q = -128; q <= 127; ++q) {
          const auto i = static_cast<size_t>(q + 128);
          if (built[i] == float_table[i]) continue;
          ++entries_differing;
          CAPTURE(q);
          CHECK(std::abs(built[i] - float_table[i]) == 1);
          // The exact output, in output steps, is a tie to within the float table's
          // float32 rounding (measured: at most 1.2e-5 of a step off the tie).
          const double exact = Exact(f, double{in.scale} * (q - in.zero_point)) / out.scale;
          CHECK(std::abs(exact - std::floor(exact) - 0.5) < 1e-4);
        }
      }
    }
  }
  // Measured: 236 of 24,576 (the sweep's scales put many values on exact ties).
  MESSAGE(entries_differing << " of " << tables * 256 << " entries differ from the float tables");
  CHECK(entries_differing <= tables * 256 / 50);
}

TEST_CASE("only HardSigmoid with a positive slope and HardSwish get parameters") {
  const calib::ActivationQuant in{0.05f, 3}, out{0.01f, -100};
  CHECK(HardActivationParameters(MakeNode({"HardSwish", 0, 0}), in, out, -128, 127).has_value());
  CHECK(HardActivationParameters(MakeNode({"HardSigmoid", 0.2, 0.5}), in, out, -128, 127)
            .has_value());
  CHECK(!HardActivationParameters(MakeNode({"HardSigmoid", -0.2, 0.5}), in, out, -128, 127)
             .has_value());
  CHECK(
      !HardActivationParameters(MakeNode({"HardSigmoid", 0, 0.5}), in, out, -128, 127).has_value());
  Node sigmoid = MakeNode({"Sigmoid", 0, 0});
  CHECK(!HardActivationParameters(sigmoid, in, out, -128, 127).has_value());
  Node chain = MakeNode({"PointwiseChain", 0, 0});
  CHECK(!HardActivationParameters(chain, in, out, -128, 127).has_value());
}

}  // namespace
}  // namespace qrt::converter
