# Sourced by the fuzz scripts: builds the C targets DriftSimTrace imports (CDriftSimCRC32C) for a
# target compiled directly with swiftc, outside SwiftPM, which would otherwise provide them.
# Usage: build_c_modules ROOT WORK; then pass "${C_MODULE_ARGS[@]}" to swiftc.
build_c_modules() {
  local root="$1" work="$2"
  mkdir -p "$work/cmodules/CDriftSimCRC32C"
  # SwiftPM's implicit module map for a C target with one umbrella header, written out.
  cat > "$work/cmodules/CDriftSimCRC32C/module.modulemap" <<MAP
module CDriftSimCRC32C {
  header "$root/Sources/CDriftSimCRC32C/include/CDriftSimCRC32C.h"
  export *
}
MAP
  # Instrumented like the Swift code (coverage for libFuzzer, AddressSanitizer) and optimised.
  clang -O2 -g -fsanitize=fuzzer-no-link,address -I "$root/Sources/CDriftSimCRC32C/include" \
    -c "$root/Sources/CDriftSimCRC32C/crc32c.c" -o "$work/cmodules/crc32c.o"
  C_MODULE_ARGS=(-I "$work/cmodules/CDriftSimCRC32C" "$work/cmodules/crc32c.o")
}
