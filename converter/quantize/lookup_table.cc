#include "lookup_table.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "converter/reference/op_registry.h"
#include "qrt/kernels/params.h"

namespace qrt::converter {

int8_t QuantizeValue(double x, const calib::ActivationQuant& quant) {
  const double q = std::nearbyint(x / quant.scale) + quant.zero_point;
  if (std::isnan(q)) return static_cast<int8_t>(quant.zero_point);
  return static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
}

Status BuildLookupTable(const Node& node, int64_t opset, size_t activation_input,
                        std::span<const TensorData* const> operands,
                        const calib::ActivationQuant& in, const calib::ActivationQuant& out,
                        const FusedClamp& clamp, std::vector<int8_t>* table) {
  const OpKernel* kernel = FindOpKernel(node.op_type);
  if (kernel == nullptr) {
    return Status(StatusCode::kUnsupportedOperator, node.Describe() + ": no float kernel");
  }
  std::vector<float> xs(256);
  for (int32_t q = -128; q <= 127; ++q)
    xs[q + 128] = in.scale * static_cast<float>(q - in.zero_point);
  const TensorData x = TensorData::FromVector<float>({256}, xs);

  std::vector<ValueInfo> infos(operands.size());
  std::vector<const TensorData*> values(operands.begin(), operands.end());
  values[activation_input] = &x;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] != nullptr) infos[i] = {true, values[i]->dtype(), values[i]->shape(), values[i]};
  }
  std::vector<OutputInfo> infos_out(node.outputs.size());
  QRT_RETURN_IF_ERROR(kernel->infer(node, opset, infos, infos_out));
  if (infos_out.size() != 1 || NumElements(infos_out[0].shape) != 256) {
    return Status(StatusCode::kUnsupportedOperator,
                  node.Describe() + ": not a pointwise function of one activation");
  }
  std::vector<TensorData> results;
  results.emplace_back(infos_out[0].dtype, infos_out[0].shape);
  QRT_RETURN_IF_ERROR(kernel->run(node, opset, values, results));

  const std::vector<float> ys = results[0].ToFloats();
  table->resize(256);
  for (size_t i = 0; i < 256; ++i) {
    const float y = std::min(std::max(ys[i], clamp.min), clamp.max);
    (*table)[i] = QuantizeValue(y, out);
  }
  return Status::Ok();
}

std::optional<schema::HardActivation> HardActivationParameters(const Node& node,
                                                               const calib::ActivationQuant& in,
                                                               const calib::ActivationQuant& out,
                                                               int8_t lo, int8_t hi) {
  // f(x) = clamp(alpha * x + beta, 0, 1); HardSwish is x * f(x) with ONNX's fixed
  // alpha = 1/6, beta = 1/2 (what the float kernel computes).
  double alpha = 1.0 / 6.0, beta = 0.5;
  schema::HardFunction function = schema::HardFunction::HARD_SWISH;
  if (node.op_type == "HardSigmoid") {
    alpha = node.GetFloat("alpha", 0.2f);
    beta = node.GetFloat("beta", 0.5f);
    function = schema::HardFunction::HARD_SIGMOID;
  } else if (node.op_type != "HardSwish") {
    return std::nullopt;
  }
  if (!node.domain.empty() || !(alpha > 0) || !std::isfinite(beta)) return std::nullopt;
  const double step = alpha * double{in.scale};  // f's change per input step
  for (int bits = kernels::kMaxHardFractionBits; bits >= 0; --bits) {
    const double unit = std::ldexp(1.0, bits) / step;  // u per unit of alpha * x
    const double width = std::nearbyint(unit);
    const double offset = std::nearbyint(beta * unit);
    if (!(width >= 1 && width <= kernels::kMaxHardWidth) ||
        std::abs(offset) > std::numeric_limits<int32_t>::max()) {
      continue;
    }
    // u / 2^bits is alpha * x + beta in steps of alpha * Sx; HardSwish multiplies by
    // d = x / Sx.
    double real = step / (std::ldexp(1.0, bits) * double{out.scale});
    if (function == schema::HardFunction::HARD_SWISH) real *= double{in.scale};
    kernels::Dyadic m{};
    if (kernels::QuantizeMultiplier(real, &m) != kernels::QuantizeMultiplierError::kOk) {
      return std::nullopt;
    }
    return schema::HardActivation(static_cast<int32_t>(offset), static_cast<int32_t>(width),
                                  m.multiplier, static_cast<int8_t>(m.shift),
                                  static_cast<uint8_t>(bits), function, schema::Clamp(lo, hi));
  }
  return std::nullopt;
}

std::vector<int32_t> SoftmaxExpTable(float input_scale) {
  std::vector<int32_t> table(256);
  for (int32_t d = 0; d < 256; ++d) {
    table[d] = static_cast<int32_t>(std::lround(65536.0 * std::exp(-double{input_scale} * d)));
  }
  return table;
}

}  // namespace qrt::converter
