// A fixed set of threads that run one batch of tasks at a time: Run(n, fn) calls
// fn(0) ... fn(n - 1), each exactly once, spread over the threads, and returns
// when all have returned. The calling thread is one of the participants, so a
// pool of N threads starts N - 1 workers (none for N = 1).
//
// Run is on the inference path, so it neither allocates nor copies the callable
// (it is referenced, not owned) and a batch costs a few microseconds: idle workers
// spin for a short while before they sleep, so the next operator of a model
// usually finds them awake. Tasks are claimed dynamically, the caller's included,
// so a worker that is late to wake or preempted simply runs fewer of them (and
// Run never waits for a worker that has claimed nothing); which thread runs a
// task never changes what the task computes.
//
// One thread at a time may call Run (a session is used by one thread at a time);
// tasks must not call Run on the same pool.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>
#include <vector>

namespace qrt::internal {

class ThreadPool {
 public:
  // num_threads >= 1 participants: the caller of Run and num_threads - 1 workers.
  // If the system refuses to start a thread, the pool has fewer (num_threads()).
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(i) once for every i in [0, task_count) and returns when all calls
  // have returned. `task` is any callable taking an int; it is borrowed for the
  // duration of the call.
  template <class Task>
  void Run(int task_count, Task&& task) {
    using Callable = std::remove_reference_t<Task>;
    RunTasks(task_count, TaskRef{const_cast<void*>(static_cast<const void*>(&task)),
                                 [](void* callable, int index) {
                                   (*static_cast<Callable*>(callable))(index);
                                 }});
  }

 private:
  // A non-owning reference to the caller's callable.
  struct TaskRef {
    void* callable;
    void (*call)(void* callable, int index);
  };

  void RunTasks(int task_count, TaskRef task);
  // Claims and runs tasks of batch `generation` until none is left unclaimed.
  void RunAvailableTasks(uint32_t generation);
  void WorkerLoop();

  std::vector<std::thread> workers_;

  // The current batch, written by Run before it publishes the batch in next_task_.
  // task_ is read only by a thread that has claimed a task of the batch, and the
  // batch is not over (so Run has not returned and cannot rewrite it) until that
  // task is done; task_count_ may be read by a late worker as the next batch
  // writes it, so it is atomic (the late worker's claim then fails).
  TaskRef task_{nullptr, nullptr};
  std::atomic<int> task_count_{0};
  // The batch's generation (high 32 bits) and its next unclaimed task (low 32
  // bits): a worker claims a task with one compare-and-swap, which fails once the
  // batch has been replaced. So Run waits only for claimed tasks: a worker that
  // wakes late finds nothing to do instead of holding up the caller.
  std::atomic<uint64_t> next_task_{0};
  std::atomic<int> tasks_done_{0};

  // The generation of the latest batch; idle workers wait for it to change.
  std::atomic<uint32_t> generation_{0};
  // Set so that notify calls (system calls) happen only when someone sleeps.
  std::atomic<int> sleeping_workers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace qrt::internal
