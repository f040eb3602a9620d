// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) with the CPU's own instructions where the
// CPU has them (x86-64: SSE4.2 `crc32`, three streams interleaved and joined with PCLMULQDQ).
// DriftSimTrace's Swift slicing-by-8 (`CRC32C.softwareUpdate`) is the reference implementation
// and the path on every other CPU; this module only makes the same function faster.
#ifndef CDRIFTSIM_CRC32C_H
#define CDRIFTSIM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Whether `driftsim_crc32c_hardware_update` runs on CPU instructions on this machine (1) or
/// would fall back to a slow bitwise loop (0). Decided at run time (CPUID on x86-64), so one
/// binary runs on every CPU of its architecture.
int driftsim_crc32c_hardware_available(void);

/// Continues a CRC-32C over `length` bytes at `data` (any alignment; `data` may be NULL when
/// `length` is 0). `crc` is a finished CRC (0 for the empty message); the result is the finished
/// CRC of the concatenation, i.e. the same convention as `CRC32C.update` in DriftSimTrace:
/// init 0xFFFFFFFF and final xor 0xFFFFFFFF are applied inside.
/// Always correct: without the CPU instructions it computes the same value bit by bit (slowly).
uint32_t driftsim_crc32c_hardware_update(uint32_t crc, const void *data, size_t length);

#ifdef __cplusplus
}
#endif

#endif
