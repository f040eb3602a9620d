// CRC-32C on the CPU's CRC instructions; see include/CDriftSimCRC32C.h for the contract.
//
// x86-64: the SSE4.2 `crc32` instruction consumes 8 bytes with a latency of 3 cycles and a
// throughput of 1 per cycle, so one dependent chain runs at a third of the possible speed. Long
// buffers are therefore cut into rounds of three lanes of `LANE` bytes whose CRCs run as three
// independent chains; the lanes are joined by shifting a lane's CRC register over the next lane's
// length, a multiplication by x^(8·LANE) mod P done with one carry-less multiply (PCLMULQDQ) and
// one `crc32` reduction. Without PCLMULQDQ (pre-2010 CPUs) one chain is used.
// Every other architecture: no instruction path here (`driftsim_crc32c_hardware_available` is 0)
// and DriftSimTrace uses its Swift slicing-by-8.
#include "CDriftSimCRC32C.h"

#include <string.h>

/// The reflected Castagnoli polynomial.
#define DRIFTSIM_CRC32C_POLY 0x82F63B78u

/// Bitwise CRC-32C register update (no init/final xor): the slow but always available path, used
/// only if the instruction path is called on a CPU without it.
static uint32_t driftsim_crc32c_bitwise(uint32_t reg, const unsigned char *p, size_t n) {
  while (n--) {
    reg ^= *p++;
    for (int k = 0; k < 8; k++) reg = (reg & 1) ? (reg >> 1) ^ DRIFTSIM_CRC32C_POLY : reg >> 1;
  }
  return reg;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <nmmintrin.h>
#include <wmmintrin.h>

/// Bytes per lane of a three-lane round (a multiple of 8). 1 KiB lanes: a 64 KiB trace block
/// takes 21 rounds, whose 42 joins (≈ 6 instructions each) cost < 1 % of its 8 192 `crc32`s, and
/// buffers from 3 KiB up get the interleaved speed.
#define DRIFTSIM_CRC32C_LANE 1024

/// x^(8·LANE − 33) mod P, reflected (bit 31 = x⁰): the multiplier that shifts a CRC register over
/// LANE zero bytes. The carry-less product of two reflected 32-bit values, read as a reflected
/// 64-bit word, is their product times x, and `crc32` of a 64-bit word from register 0 multiplies
/// it by x^32 mod P: hence the −33. Computed by square-and-multiply in GF(2)[x]/P; the tests
/// check the joined result against the Swift software CRC on every length up to 10 000 bytes and
/// on 64 KiB+ buffers, so a wrong constant cannot pass.
#define DRIFTSIM_CRC32C_LANE_SHIFT 0x170076FAu

static int driftsim_crc32c_has_sse42(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

static int driftsim_crc32c_has_pclmul(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("pclmul");
}

int driftsim_crc32c_hardware_available(void) { return driftsim_crc32c_has_sse42(); }

/// One chain of `crc32` over `n` bytes (register in, register out).
__attribute__((target("sse4.2")))
static uint32_t driftsim_crc32c_sse42(uint32_t reg, const unsigned char *p, size_t n) {
  uint64_t c = reg;
  while (n >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);  // unaligned load
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = (uint32_t)c;
  if (n >= 4) {
    uint32_t word;
    memcpy(&word, p, 4);
    c32 = _mm_crc32_u32(c32, word);
    p += 4;
    n -= 4;
  }
  while (n--) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}

/// Shifts register `reg` over LANE zero bytes: reg · x^(8·LANE) mod P.
__attribute__((target("sse4.2,pclmul")))
static inline uint32_t driftsim_crc32c_shift_lane(uint32_t reg) {
  __m128i product = _mm_clmulepi64_si128(
    _mm_cvtsi32_si128((int)reg), _mm_cvtsi32_si128((int)DRIFTSIM_CRC32C_LANE_SHIFT), 0);
  return (uint32_t)_mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(product));
}

/// Three interleaved chains over whole rounds of 3·LANE bytes, then one chain for the rest.
__attribute__((target("sse4.2,pclmul")))
static uint32_t driftsim_crc32c_sse42_3way(uint32_t reg, const unsigned char *p, size_t n) {
  while (n >= 3 * DRIFTSIM_CRC32C_LANE) {
    uint64_t a = reg, b = 0, c = 0;
    const unsigned char *q = p;
    for (int i = 0; i < DRIFTSIM_CRC32C_LANE / 8; i++) {
      uint64_t wa, wb, wc;
      memcpy(&wa, q, 8);
      memcpy(&wb, q + DRIFTSIM_CRC32C_LANE, 8);
      memcpy(&wc, q + 2 * DRIFTSIM_CRC32C_LANE, 8);
      a = _mm_crc32_u64(a, wa);
      b = _mm_crc32_u64(b, wb);
      c = _mm_crc32_u64(c, wc);
      q += 8;
    }
    // CRC registers are linear: R(r, A‖B) = R(r, A)·x^(8|B|) ⊕ R(0, B).
    reg = driftsim_crc32c_shift_lane((uint32_t)a) ^ (uint32_t)b;
    reg = driftsim_crc32c_shift_lane(reg) ^ (uint32_t)c;
    p += 3 * DRIFTSIM_CRC32C_LANE;
    n -= 3 * DRIFTSIM_CRC32C_LANE;
  }
  return driftsim_crc32c_sse42(reg, p, n);
}

uint32_t driftsim_crc32c_hardware_update(uint32_t crc, const void *data, size_t length) {
  if (length == 0 || data == NULL) return crc;
  const unsigned char *p = (const unsigned char *)data;
  uint32_t reg = ~crc;
  if (!driftsim_crc32c_has_sse42()) {
    reg = driftsim_crc32c_bitwise(reg, p, length);
  } else if (length >= 3 * DRIFTSIM_CRC32C_LANE && driftsim_crc32c_has_pclmul()) {
    reg = driftsim_crc32c_sse42_3way(reg, p, length);
  } else {
    reg = driftsim_crc32c_sse42(reg, p, length);
  }
  return ~reg;
}

#else

int driftsim_crc32c_hardware_available(void) { return 0; }

uint32_t driftsim_crc32c_hardware_update(uint32_t crc, const void *data, size_t length) {
  if (length == 0 || data == NULL) return crc;
  return ~driftsim_crc32c_bitwise(~crc, (const unsigned char *)data, length);
}

#endif
