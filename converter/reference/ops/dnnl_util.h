// oneDNN plumbing shared by the Conv and MatMul kernels: one CPU engine and stream, plain
// (strided) float memory descriptors, and errors turned into Status.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

#include "converter/ir/graph.h"

namespace qrt::converter {

dnnl::engine& DnnlEngine();
dnnl::stream& DnnlStream();

// A float32 descriptor over row-major data of `dims`, or with explicit element strides.
dnnl::memory::desc PlainDesc(const Shape& dims);
dnnl::memory::desc StridedDesc(const Shape& dims, const std::vector<int64_t>& strides);

// Memory over caller data; oneDNN takes non-const pointers even for inputs it only reads.
dnnl::memory Wrap(const dnnl::memory::desc& desc, const float* data);

// Runs `primitive` with `args` and waits; oneDNN's exceptions become InvalidArgument.
Status DnnlExecute(const Node& node, const dnnl::primitive& primitive,
                   const std::unordered_map<int, dnnl::memory>& args);

}  // namespace qrt::converter
