#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <system_error>

namespace qrt::tools {
namespace {

Status IoError(const std::string& source, const std::string& problem, int error) {
  return Status(StatusCode::kIoError,
                source + ": " + problem + ": " + std::generic_category().message(error));
}

// Writes all of `bytes`, retrying short writes and interruptions.
bool WriteAll(int fd, std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return false;
    if (written == 0) {
      errno = EIO;  // a regular file that accepts no bytes: report it as an I/O error
      return false;
    }
    bytes = bytes.subspan(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace

Status WriteFileAtomically(const std::string& path,
                           std::initializer_list<std::span<const std::byte>> parts) {
  // A unique name per process and call, so concurrent writers never share one.
  static std::atomic<uint64_t> counter{0};
  const std::string tmp_path =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  // 0666 less the umask: the permissions any newly created output gets.
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return IoError(path, "cannot create", errno);
  Status status;
  for (const std::span<const std::byte> part : parts) {
    if (!WriteAll(fd, part)) {
      status = IoError(tmp_path, "cannot write", errno);
      break;
    }
  }
  if (status.ok() && ::fsync(fd) != 0) status = IoError(tmp_path, "cannot sync", errno);
  if (::close(fd) != 0 && status.ok()) status = IoError(tmp_path, "cannot close", errno);
  if (status.ok() && std::rename(tmp_path.c_str(), path.c_str()) != 0) {
    status = IoError(path, "cannot rename the temporary file into place", errno);
  }
  if (!status.ok()) ::unlink(tmp_path.c_str());
  return status;
}

}  // namespace qrt::tools
