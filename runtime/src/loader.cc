// Model loading: map or borrow the bytes, then check them in order (identifier,
// FlatBuffers verifier, schema version, semantic validation, per-operator
// preparation) so that no kernel ever sees an unvalidated model.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "op_registry.h"
#include "planner.h"
#include "qrt/schema/version.h"
#include "validate.h"

namespace qrt {
namespace {

// Deep enough for the schema's nesting, large enough for models with hundreds of
// thousands of tables; bounds the verifier's work on hostile input.
constexpr flatbuffers::uoffset_t kVerifierMaxDepth = 64;
constexpr flatbuffers::uoffset_t kVerifierMaxTables = 10'000'000;

Status SelectIsa(const LoadOptions& options, kernels::Isa* isa) {
  const kernels::IsaResolution r = kernels::ResolveIsa(options.max_isa, "LoadOptions::max_isa");
  if (r.error == kernels::IsaRequestError::kNone) {
    *isa = r.isa;
    return Status::Ok();
  }
  return Status(r.error == kernels::IsaRequestError::kUnknownName ? StatusCode::kInvalidArgument
                                                                  : StatusCode::kUnsupportedIsa,
                r.message);
}

TensorInfo MakeInfo(const internal::TensorDesc& t) {
  TensorInfo info;
  info.name = t.name;
  info.shape = t.shape;
  info.type = t.type;
  info.scale = t.scale;
  info.zero_point = t.zero_point;
  info.element_count = static_cast<size_t>(t.element_count);
  return info;
}

std::string MetadataString(const flatbuffers::String* s) { return s == nullptr ? "" : s->str(); }

Status PrepareOperators(Model::Impl* impl) {
  const kernels::KernelTable kernels = kernels::SelectKernels(impl->isa);
  const auto& ops = *impl->model->operators();
  impl->isa = kernels::Isa::kReference;
  for (uint32_t o = 0; o < ops.size(); ++o) {
    const schema::Operator& op = *ops.Get(o);
    const internal::PrepareContext ctx{op, static_cast<int>(o), impl->tensors, kernels,
                                       impl->requants[o]};
    internal::PreparedOp prepared;
    prepared.name = op.name() != nullptr ? op.name()->str() : "";
    prepared.type_name = schema::EnumNameOperatorType(op.type());
    QRT_RETURN_IF_ERROR(internal::FindOpSpec(op.type())->prepare(ctx, &prepared.kernel));
    impl->isa = std::max(impl->isa, prepared.kernel->isa());
    impl->max_operator_inputs = std::max<size_t>(impl->max_operator_inputs, op.inputs()->size());
    impl->ops.push_back(std::move(prepared));
  }
  return Status::Ok();
}

}  // namespace

namespace internal {

std::string PrepareContext::Where() const {
  return OperatorWhere(op, static_cast<uint32_t>(op_index));
}

Status PrepareContext::Error(StatusCode code, const std::string& message) const {
  return Status(code, Where() + ": " + message);
}

}  // namespace internal

const char* ElementTypeName(ElementType type) {
  switch (type) {
    case ElementType::kInt8:
      return "int8";
    case ElementType::kUInt8:
      return "uint8";
    case ElementType::kInt32:
      return "int32";
    case ElementType::kInt4:
      return "int4";
    case ElementType::kFloat32:
      return "float32";
  }
  return "unknown";
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const std::vector<TensorInfo>& Model::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Model::outputs() const { return impl_->outputs; }
const ModelMetadata& Model::metadata() const { return impl_->metadata; }
const char* Model::isa() const { return kernels::IsaName(impl_->isa); }
size_t Model::weight_bytes() const { return impl_->weight_bytes; }
size_t Model::arena_bytes() const { return impl_->arena_bytes; }
size_t Model::num_operators() const { return impl_->ops.size(); }

Status Model::LoadBuffer(const void* data, size_t size, std::shared_ptr<const Model>* model,
                         const LoadOptions& options) {
  return LoadBytes(data, size, nullptr, model, options);
}

Status Model::LoadBytes(const void* data, size_t size, std::shared_ptr<const void> storage,
                        std::shared_ptr<const Model>* model, const LoadOptions& options) {
  if (data == nullptr || size < 8) {
    return Status(StatusCode::kNotAModel,
                  "model is " + std::to_string(size) + " bytes, too small for a .qrt model");
  }
  if (!schema::ModelBufferHasIdentifier(data)) {
    const auto* bytes = static_cast<const char*>(data);
    std::string id;
    for (size_t i = 4; i < 8; ++i) {
      const char c = bytes[i];
      id += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return Status(StatusCode::kNotAModel,
                  "file identifier is '" + id + "', expected 'QRTM': not a .qrt model");
  }
  if (reinterpret_cast<uintptr_t>(data) % internal::kTensorAlignment != 0) {
    return Status(StatusCode::kMisalignedBuffer,
                  "model bytes must start on a 64-byte boundary so weights are aligned");
  }
  flatbuffers::Verifier verifier(static_cast<const uint8_t*>(data), size, kVerifierMaxDepth,
                                 kVerifierMaxTables);
  if (!schema::VerifyModelBuffer(verifier)) {
    return Status(StatusCode::kMalformedModel,
                  "the FlatBuffers verifier rejected the model (truncated or corrupt file)");
  }
  auto impl = std::make_unique<Impl>();
  impl->storage = std::move(storage);
  impl->model = schema::GetModel(data);
  const uint32_t version = impl->model->schema_version();
  if (version < schema::kMinSchemaVersion || version > schema::kSchemaVersion) {
    static_assert(schema::kMinSchemaVersion == schema::kSchemaVersion,
                  "the message below names one version");
    return Status(StatusCode::kUnsupportedVersion,
                  "model has schema version " + std::to_string(version) +
                      "; this runtime reads version " + std::to_string(schema::kSchemaVersion) +
                      " only (convert the model again with this release's qrt-convert)");
  }
  QRT_RETURN_IF_ERROR(internal::ValidateModel(*impl->model, &impl->tensors, &impl->requants));
  QRT_RETURN_IF_ERROR(SelectIsa(options, &impl->isa));
  QRT_RETURN_IF_ERROR(PrepareOperators(impl.get()));
  impl->arena_bytes = internal::PlanArena(*impl->model, &impl->tensors);

  for (const int32_t t : *impl->model->inputs()) {
    impl->input_tensors.push_back(t);
    impl->inputs.push_back(MakeInfo(impl->tensors[static_cast<size_t>(t)]));
  }
  for (const int32_t t : *impl->model->outputs()) {
    impl->output_tensors.push_back(t);
    impl->outputs.push_back(MakeInfo(impl->tensors[static_cast<size_t>(t)]));
  }
  for (const internal::TensorDesc& t : impl->tensors) {
    if (t.is_constant()) impl->weight_bytes += t.byte_size;
  }
  if (const schema::Metadata* m = impl->model->metadata()) {
    impl->metadata = {MetadataString(m->producer()), MetadataString(m->source_model()),
                      MetadataString(m->calibration_method()), MetadataString(m->description())};
  }
  model->reset(new Model(std::move(impl)));
  return Status::Ok();
}

Status Model::LoadFile(const std::string& path, std::shared_ptr<const Model>* model,
                       const LoadOptions& options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(StatusCode::kIoError, "cannot open '" + path + "': " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(StatusCode::kIoError, "'" + path + "' is not a regular file");
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    return Status(StatusCode::kNotAModel, "'" + path + "' is " + std::to_string(size) +
                                              " bytes, too small for a .qrt model");
  }
  void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);
  if (mapped == MAP_FAILED) {
    return Status(StatusCode::kIoError, "cannot map '" + path + "': " + std::strerror(map_errno));
  }
  std::shared_ptr<const void> storage(
      mapped, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  const Status status = LoadBytes(mapped, size, std::move(storage), model, options);
  if (!status.ok()) return Status(status.code(), "'" + path + "': " + status.message());
  // Loading read every page (verification, packing). The weights the fast kernels
  // packed are never read again, so the pages leave the resident set here; the
  // pages Run() does read fault back in from the page cache (the mapping is
  // private and unmodified, so its contents are the file's). Only advice: a
  // failure changes nothing but memory use.
  ::madvise(mapped, size, MADV_DONTNEED);
  return Status::Ok();
}

}  // namespace qrt
