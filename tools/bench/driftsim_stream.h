/* DriftSim's random-stream seeding in C, for the plain C benchmark baselines: a GSL taus2
 * generator seeded exactly as Sources/DriftSimNumerics/RandomStream.swift seeds RandomStream(seed:stream:)
 * for StreamID(path...), so a baseline draws the same numbers as DriftSim. */
#ifndef DRIFTSIM_STREAM_H
#define DRIFTSIM_STREAM_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

static uint64_t driftsim_splitmix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* The stream of base seed `seed` at StreamID(path[0], …, path[n-1]). */
static gsl_rng *driftsim_stream(uint64_t seed, const uint64_t *path, int n) {
  const uint64_t golden = 0x9E3779B97F4A7C15ULL;
  uint64_t id = 0x243F6A8885A308D3ULL;
  for (int i = 0; i < n; i++) id = driftsim_splitmix64(id ^ path[i]) + golden;
  uint64_t s = driftsim_splitmix64(seed ^ driftsim_splitmix64(id ^ 0xD1B54A32D192ED03ULL));
  uint64_t w1 = driftsim_splitmix64(s + golden), w2 = driftsim_splitmix64(s + 2 * golden);
  gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
  unsigned long *st = (unsigned long *)gsl_rng_state(r);
  st[0] = (uint32_t)w1; if (st[0] < 2) st[0] += 2;
  st[1] = (uint32_t)(w1 >> 32); if (st[1] < 8) st[1] += 8;
  st[2] = (uint32_t)w2; if (st[2] < 16) st[2] += 16;
  for (int i = 0; i < 6; i++) gsl_rng_get(r);
  return r;
}

#endif
