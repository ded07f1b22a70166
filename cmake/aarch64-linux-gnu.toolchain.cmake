# Cross-compiles qrt for aarch64 Linux with Debian's g++-aarch64-linux-gnu:
#   cmake -S . -B build-arm -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.toolchain.cmake -DQRT_BUILD_CONVERTER=OFF
# The target's C library and libstdc++ come from /usr/aarch64-linux-gnu (installed
# with the compiler). The header-only dependencies (FlatBuffers, doctest, CLI11,
# nlohmann-json, xsimd) are the host's Debian packages: their headers are the same
# for every architecture, so /usr/include is searched after the target's own
# include folders (-idirafter: a target header always wins) and find_package may
# read the host's config files. Libraries are only ever taken from the target
# root. flatc runs on the host.
# Tests run under qemu-user through CMAKE_CROSSCOMPILING_EMULATOR (ctest prefixes
# every test executable with it); the CPU model comes from the QEMU_CPU
# environment variable (e.g. QEMU_CPU=cortex-a72 for a core without dotprod),
# qemu's default being "max".
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(QRT_AARCH64_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${QRT_AARCH64_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${QRT_AARCH64_TRIPLE}-g++)
set(CMAKE_C_FLAGS_INIT "-idirafter /usr/include")
set(CMAKE_CXX_FLAGS_INIT "-idirafter /usr/include")

set(CMAKE_FIND_ROOT_PATH /usr/${QRT_AARCH64_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

find_program(QRT_QEMU_AARCH64 qemu-aarch64)
if(QRT_QEMU_AARCH64)
  # QEMU_LD_PREFIX rather than -L: the tool tests pass the emulator through
  # `cmake -P`, which would take -L for its own option.
  set(CMAKE_CROSSCOMPILING_EMULATOR env QEMU_LD_PREFIX=/usr/${QRT_AARCH64_TRIPLE} ${QRT_QEMU_AARCH64})
endif()
