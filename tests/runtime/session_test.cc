// Sessions: I/O checks, sharing one model across threads, no heap allocation
// inside Run(), profiling, and the instruction-set override.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <thread>

#include "qrt/qrt.h"
#include "runtime/test_models.h"

namespace {

// Counts every global allocation made by this test binary, so a test can prove
// that Run() makes none.
std::atomic<int64_t> allocations{0};

}  // namespace

void* operator new(size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace qrt::test {
namespace {

struct Fixture {
  Fixture() : bytes(EveryOperatorModel().Finish()) {
    const Status status = Model::LoadBuffer(bytes.data(), bytes.size(), &model);
    REQUIRE_MESSAGE(status.ok(), status.ToString());
  }
  std::unique_ptr<Session> NewSession(const SessionOptions& options = {}) const {
    std::unique_ptr<Session> session;
    REQUIRE(Session::Create(model, &session, options).ok());
    return session;
  }
  AlignedBytes bytes;
  std::shared_ptr<const Model> model;
};

std::vector<float> Image(int variant) {
  std::vector<float> image(8 * 8 * 3);
  for (size_t i = 0; i < image.size(); ++i) {
    image[i] = std::cos(0.1f * static_cast<float>(i) + static_cast<float>(variant));
  }
  return image;
}

std::vector<int8_t> Logits(Session& session, const std::vector<float>& image) {
  REQUIRE(session.SetInput("image", image.data(), image.size()).ok());
  REQUIRE(session.Run().ok());
  std::vector<int8_t> logits(10);
  REQUIRE(session.GetOutput("logits", logits.data(), logits.size()).ok());
  return logits;
}

}  // namespace

TEST_CASE("session inputs and outputs are checked by name, count and type") {
  Fixture f;
  auto session = f.NewSession();
  const std::vector<float> image = Image(0);
  std::vector<int8_t> int8s(image.size());
  std::vector<float> probs(10);

  Status s = session->SetInput("nope", image.data(), image.size());
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("'image'") != std::string::npos);
  CHECK(session->SetInput("image", image.data(), 5).code() == StatusCode::kInvalidArgument);
  s = session->SetInput("image", int8s.data(), int8s.size());
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("float32") != std::string::npos);
  CHECK(session->GetOutput("probs", probs.data(), 10).code() == StatusCode::kFailedPrecondition);

  REQUIRE(session->SetInput("image", image.data(), image.size()).ok());
  REQUIRE(session->Run().ok());
  std::vector<int8_t> as_int8(10);
  CHECK(session->GetOutput("probs", as_int8.data(), 10).code() == StatusCode::kInvalidArgument);
  CHECK(session->GetOutput("logits", as_int8.data(), 10).ok());
  std::vector<float> as_float(10);
  REQUIRE(session->GetOutput("logits", as_float.data(), 10).ok());
  const TensorInfo& info = f.model->outputs()[0];
  for (size_t i = 0; i < 10; ++i) {
    CHECK(as_float[i] == info.scale * static_cast<float>(as_int8[i] - info.zero_point));
  }
}

TEST_CASE("an input written in place through MutableInput runs like one set by copy") {
  Fixture f;
  auto copied = f.NewSession();
  auto in_place = f.NewSession();
  const std::vector<float> image = Image(3);

  std::span<float> storage;
  REQUIRE(in_place->MutableInput("image", &storage).ok());
  REQUIRE(storage.size() == image.size());
  std::copy(image.begin(), image.end(), storage.begin());
  REQUIRE(in_place->Run().ok());
  std::vector<int8_t> logits(10);
  REQUIRE(in_place->GetOutput("logits", logits.data(), logits.size()).ok());
  CHECK(logits == Logits(*copied, image));

  std::span<int8_t> wrong_type;
  Status s = in_place->MutableInput("image", &wrong_type);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("float32") != std::string::npos);
  s = in_place->MutableInput("nope", &storage);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("'image'") != std::string::npos);
}

TEST_CASE("Run() performs no heap allocation, profiled or not, on one thread or several") {
  Fixture f;
  for (const int threads : {1, 3}) {
    for (const bool profile : {false, true}) {
      CAPTURE(threads);
      CAPTURE(profile);
      auto session = f.NewSession({.profile = profile, .num_threads = threads});
      const std::vector<float> image = Image(1);
      REQUIRE(session->SetInput("image", image.data(), image.size()).ok());
      REQUIRE(session->Run().ok());
      const int64_t before = allocations.load();
      for (int i = 0; i < 3; ++i) REQUIRE(session->Run().ok());
      CHECK(allocations.load() == before);
    }
  }
}

TEST_CASE("sessions on several threads share one model and agree with a single thread") {
  Fixture f;
  std::vector<std::vector<int8_t>> expected;
  {
    auto session = f.NewSession();
    for (int v = 0; v < 4; ++v) expected.push_back(Logits(*session, Image(v)));
  }
  CHECK(expected[0] != expected[1]);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<Session> session;
      if (!Session::Create(f.model, &session).ok()) {
        ++mismatches;
        return;
      }
      for (int iter = 0; iter < 25; ++iter) {
        const int v = (t + iter) % 4;
        const std::vector<float> image = Image(v);
        std::vector<int8_t> logits(10);
        if (!session->SetInput("image", image.data(), image.size()).ok() || !session->Run().ok() ||
            !session->GetOutput("logits", logits.data(), logits.size()).ok() ||
            logits != expected[static_cast<size_t>(v)]) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(mismatches.load() == 0);
}

TEST_CASE("a session keeps the model alive after the caller drops it") {
  Fixture f;
  auto session = f.NewSession();
  std::weak_ptr<const Model> weak = f.model;
  f.model.reset();
  CHECK(!weak.expired());
  const std::vector<int8_t> logits = Logits(*session, Image(2));
  CHECK(logits.size() == 10);
}

TEST_CASE("profiling records every operator with its kernel path") {
  Fixture f;
  auto session = f.NewSession({true});
  const std::vector<float> image = Image(0);
  REQUIRE(session->SetInput("image", image.data(), image.size()).ok());
  for (int i = 0; i < 3; ++i) REQUIRE(session->Run().ok());
  const auto& profile = session->profile();
  REQUIRE(profile.size() == f.model->num_operators());
  CHECK(profile[1].name == "conv1");
  CHECK(profile[1].type == "CONV_2D");
  for (const OperatorProfile& op : profile) {
    CHECK(op.runs == 3);
    CHECK(op.total_ms >= 0.0);
    CHECK(!op.kernel.empty());
  }
  CHECK(f.NewSession()->profile().empty());
}

TEST_CASE("the reference path can be forced and gives the same bytes as the default path") {
  Fixture f;
  const AlignedBytes& bytes = f.bytes;
  std::shared_ptr<const Model> reference;
  LoadOptions options;
  options.max_isa = "reference";
  REQUIRE(Model::LoadBuffer(bytes.data(), bytes.size(), &reference, options).ok());
  CHECK(std::string(reference->isa()) == "reference");
  std::unique_ptr<Session> a;
  std::unique_ptr<Session> b;
  REQUIRE(Session::Create(reference, &a).ok());
  REQUIRE(Session::Create(f.model, &b).ok());
  CHECK(Logits(*a, Image(3)) == Logits(*b, Image(3)));
}

}  // namespace qrt::test
