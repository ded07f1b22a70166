#include "onednn_int8.h"

#include <omp.h>

#include <cstring>
#include <variant>

namespace qrt::bench {
namespace {

using dnnl::memory;
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// The output channel is dimension 1 of both the matmul destination [M, N] and
// the convolution destination [N, C, H, W].
constexpr int kPerChannelMask = 1 << 1;

dnnl::primitive_attr Int8Attr(const Operands& ops) {
  dnnl::primitive_attr attr;
  attr.set_output_scales(kPerChannelMask, ops.scale);
  dnnl::post_ops relu;
  relu.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  attr.set_post_ops(relu);
  return attr;
}

// The operand descriptors of one primitive, in qrt's layouts.
struct Descs {
  memory::desc src, user_weights, weights_any, bias, dst;
};

Descs MatmulDescs(const kernels::FullyConnectedParams& p) {
  const memory::dim m = p.rows, k = p.in_features, n = p.out_features;
  // qrt's weights are [N, K] row-major: oneDNN's [K, N] weights in "ba" order.
  return {memory::desc({m, k}, dt::u8, tag::ab), memory::desc({k, n}, dt::s8, tag::ba),
          memory::desc({k, n}, dt::s8, tag::any), memory::desc({1, n}, dt::s32, tag::ab),
          memory::desc({m, n}, dt::u8, tag::ab)};
}

Descs ConvDescs(const kernels::Conv2DParams& p) {
  const memory::dims src_dims = {p.batch, p.in_c, p.in_h, p.in_w};
  const memory::dims dst_dims = {p.batch, p.out_c, p.out_h, p.out_w};
  // qrt's OHWI weights; grouped: [groups, out_c / groups, kernel_h, kernel_w, in_c / groups].
  const memory::dims weight_dims =
      p.groups == 1
          ? memory::dims{p.out_c, p.in_c, p.kernel_h, p.kernel_w}
          : memory::dims{p.groups, p.out_c / p.groups, p.in_c / p.groups, p.kernel_h, p.kernel_w};
  return {memory::desc(src_dims, dt::u8, tag::nhwc),
          memory::desc(weight_dims, dt::s8, p.groups == 1 ? tag::ohwi : tag::gohwi),
          memory::desc(weight_dims, dt::s8, tag::any), memory::desc({p.out_c}, dt::s32, tag::x),
          memory::desc(dst_dims, dt::u8, tag::nhwc)};
}

dnnl::convolution_forward::primitive_desc ConvPrimitiveDesc(const kernels::Conv2DParams& p,
                                                            const Descs& d,
                                                            const dnnl::primitive_attr& attr,
                                                            const dnnl::engine& engine) {
  const memory::dims strides = {p.stride_h, p.stride_w};
  // oneDNN counts dilation from 0 (no dilation).
  const memory::dims dilation = {p.dilation_h - 1, p.dilation_w - 1};
  const memory::dims pad_l = {p.pad_top, p.pad_left};
  // The bottom/right padding that makes the output size come out.
  const memory::dims pad_r = {
      (p.out_h - 1) * p.stride_h + (p.kernel_h - 1) * p.dilation_h + 1 - p.in_h - p.pad_top,
      (p.out_w - 1) * p.stride_w + (p.kernel_w - 1) * p.dilation_w + 1 - p.in_w - p.pad_left};
  const dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, d.src, d.weights_any,
      d.bias, d.dst, strides, dilation, pad_l, pad_r);
  return dnnl::convolution_forward::primitive_desc(desc, attr, engine);
}

}  // namespace

Status OnednnInt8::Create(const Operands& ops, int threads, std::unique_ptr<OnednnInt8>* runner) {
  std::unique_ptr<OnednnInt8> r(new OnednnInt8());
  r->threads_ = threads;
  omp_set_num_threads(threads);
  try {
    r->engine_ = dnnl::engine(dnnl::engine::kind::cpu, 0);
    r->stream_ = dnnl::stream(r->engine_);
    const dnnl::primitive_attr attr = Int8Attr(ops);
    Descs descs;
    memory::desc weights_desc;
    if (const auto* fc = std::get_if<kernels::FullyConnectedParams>(&ops.params)) {
      descs = MatmulDescs(*fc);
      const dnnl::matmul::primitive_desc pd(
          dnnl::matmul::desc(descs.src, descs.weights_any, descs.bias, descs.dst), attr,
          r->engine_);
      r->primitive_ = dnnl::matmul(pd);
      weights_desc = pd.weights_desc();
      r->impl_ = pd.impl_info_str();
    } else {
      const auto& conv = std::get<kernels::Conv2DParams>(ops.params);
      descs = ConvDescs(conv);
      const auto pd = ConvPrimitiveDesc(conv, descs, attr, r->engine_);
      r->primitive_ = dnnl::convolution_forward(pd);
      weights_desc = pd.weights_desc();
      r->impl_ = pd.impl_info_str();
    }

    memory src(descs.src, r->engine_);
    auto* src_bytes = static_cast<uint8_t*>(src.get_data_handle());
    const int64_t input_count = InputElements(ops.params);
    for (int64_t i = 0; i < input_count; ++i) {
      src_bytes[i] = static_cast<uint8_t>(ops.input[i] ^ 0x80);  // x + 128
    }
    memory user_weights(descs.user_weights, r->engine_,
                        const_cast<int8_t*>(ops.weight_values.data()));
    memory weights(weights_desc, r->engine_);
    dnnl::reorder(user_weights, weights).execute(r->stream_, user_weights, weights);
    memory bias(descs.bias, r->engine_);
    std::memcpy(bias.get_data_handle(), ops.bias.data(), ops.bias.size() * sizeof(int32_t));
    r->stream_.wait();
    r->args_ = {{DNNL_ARG_SRC, src},
                {DNNL_ARG_WEIGHTS, weights},
                {DNNL_ARG_BIAS, bias},
                {DNNL_ARG_DST, memory(descs.dst, r->engine_)}};
  } catch (const dnnl::error& e) {
    return Status(StatusCode::kInvalidArgument, std::string("oneDNN: ") + e.what());
  }
  *runner = std::move(r);
  return Status::Ok();
}

void OnednnInt8::Run() {
  omp_set_num_threads(threads_);
  primitive_.execute(stream_, args_);
  stream_.wait();
}

const uint8_t* OnednnInt8::output() const {
  return static_cast<const uint8_t*>(args_.at(DNNL_ARG_DST).get_data_handle());
}

std::string OnednnVersion() {
  const dnnl_version_t* v = dnnl::version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

}  // namespace qrt::bench
