#include "converter/reference/ops/dnnl_util.h"

#include "converter/reference/op_util.h"

namespace qrt::converter {

dnnl::engine& DnnlEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& DnnlStream() {
  static dnnl::stream stream(DnnlEngine());
  return stream;
}

dnnl::memory::desc PlainDesc(const Shape& dims) { return StridedDesc(dims, Strides(dims)); }

dnnl::memory::desc StridedDesc(const Shape& dims, const std::vector<int64_t>& strides) {
  return dnnl::memory::desc(dnnl::memory::dims(dims.begin(), dims.end()),
                            dnnl::memory::data_type::f32,
                            dnnl::memory::dims(strides.begin(), strides.end()));
}

dnnl::memory Wrap(const dnnl::memory::desc& desc, const float* data) {
  return dnnl::memory(desc, DnnlEngine(), const_cast<float*>(data));
}

Status DnnlExecute(const Node& node, const dnnl::primitive& primitive,
                   const std::unordered_map<int, dnnl::memory>& args) {
  try {
    primitive.execute(DnnlStream(), args);
    DnnlStream().wait();
  } catch (const dnnl::error& e) {
    return Status(StatusCode::kInvalidArgument, node.Describe() + ": oneDNN: " + e.what());
  }
  return Status::Ok();
}

}  // namespace qrt::converter
