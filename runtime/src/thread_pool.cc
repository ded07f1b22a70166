#include "thread_pool.h"

#include <system_error>

namespace qrt::internal {
namespace {

// How many times a waiting thread polls before it sleeps. A pause takes tens of
// nanoseconds (about 40 on Zen 5, 75 on Zen 4), so this is 0.15-0.3 ms: longer than
// the stretches of operators too small to split between two split ones (the
// PP-OCRv4 recogniser's attention runs some 25 us of them between a layer norm and
// its softmax), so a batch usually finds the workers awake instead of waiting for
// the system to wake one (the caller then does most of the batch alone), yet short
// enough not to burn a core for long after the last batch. 1024 (some 40 us) left
// the recogniser 4% slower at 2 threads; 16384 gained nothing more.
constexpr int kSpinIterations = 4096;

// Tells the CPU this is a spin loop (lets the sibling hyperthread run, saves power).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  const int workers = num_threads > 1 ? num_threads - 1 : 0;
  workers_.reserve(static_cast<size_t>(workers));
  try {
    for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  } catch (const std::system_error&) {
    // The system refused a thread: the pool runs with those it has (num_threads()
    // says how many; the owner decides whether that is an error).
  }
}

ThreadPool::~ThreadPool() {
  stopping_.store(true, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  generation_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::RunTasks(int task_count, TaskRef task) {
  if (task_count <= 0) return;
  if (workers_.empty() || task_count == 1) {
    for (int i = 0; i < task_count; ++i) task.call(task.callable, i);
    return;
  }
  // Only this thread writes generation_, so it can compute the next one. The new
  // generation goes into next_task_ first, so that a late worker of the previous
  // batch can claim nothing while the batch below is written: it reads the new
  // task_count_ only after that store (release/acquire), and its claim fails.
  const uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
  next_task_.store(uint64_t{generation} << 32, std::memory_order_relaxed);
  task_ = task;
  tasks_done_.store(0, std::memory_order_relaxed);
  task_count_.store(task_count, std::memory_order_release);
  // Publishes the batch and wakes the workers. A worker either is seen sleeping
  // here or sees the new generation before it sleeps (both sides use sequentially
  // consistent order).
  generation_.store(generation, std::memory_order_seq_cst);
  if (sleeping_workers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();

  RunAvailableTasks(generation);

  for (int spin = 0; spin < kSpinIterations; ++spin) {
    if (tasks_done_.load(std::memory_order_acquire) == task_count) return;
    CpuRelax();
  }
  caller_sleeping_.store(true, std::memory_order_seq_cst);
  for (int done = tasks_done_.load(std::memory_order_seq_cst); done != task_count;
       done = tasks_done_.load(std::memory_order_seq_cst)) {
    tasks_done_.wait(done, std::memory_order_seq_cst);
  }
  caller_sleeping_.store(false, std::memory_order_relaxed);
}

void ThreadPool::RunAvailableTasks(uint32_t generation) {
  uint64_t next = next_task_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(next >> 32) != generation) return;
    const int task_count = task_count_.load(std::memory_order_acquire);
    const auto index = static_cast<int>(static_cast<uint32_t>(next));
    if (index >= task_count) return;
    if (!next_task_.compare_exchange_weak(next, next + 1, std::memory_order_acquire)) continue;
    // The claim succeeded, so task_count and task_ belong to this batch, and the
    // batch lasts at least until this task is counted as done.
    task_.call(task_.callable, index);
    if (tasks_done_.fetch_add(1, std::memory_order_seq_cst) + 1 == task_count &&
        caller_sleeping_.load(std::memory_order_seq_cst)) {
      tasks_done_.notify_one();
    }
    next = next_task_.load(std::memory_order_acquire);
  }
}

void ThreadPool::WorkerLoop() {
  // The generation when the pool was built; a batch started before this thread
  // got going is still seen as new.
  uint32_t seen = 0;
  for (;;) {
    uint32_t generation = generation_.load(std::memory_order_acquire);
    for (int spin = 0; spin < kSpinIterations && generation == seen; ++spin) {
      CpuRelax();
      generation = generation_.load(std::memory_order_acquire);
    }
    if (generation == seen) {
      sleeping_workers_.fetch_add(1, std::memory_order_seq_cst);
      for (generation = generation_.load(std::memory_order_seq_cst); generation == seen;
           generation = generation_.load(std::memory_order_seq_cst)) {
        generation_.wait(seen, std::memory_order_seq_cst);
      }
      sleeping_workers_.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = generation;
    if (stopping_.load(std::memory_order_relaxed)) return;
    RunAvailableTasks(generation);
  }
}

}  // namespace qrt::internal
