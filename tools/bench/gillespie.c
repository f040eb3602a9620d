/* Plain C baseline for `driftsim meanfield bench`: Gillespie's direct method for the SIS model
 * with external infection (alpha, beta; recovery rate 1), M objects, started at x* rounded to
 * counts by largest remainders. Same GSL taus2 stream as DriftSim's RandomStream for
 * StreamID(0x43544D43, M) of the base seed, same two draws per jump (gsl_rng_uniform_pos for the
 * holding time -log(U)/(M*total) and for the choice U*total), same arithmetic, so the final
 * simulated time must equal driftsim's bit for bit (printed as a check).
 *
 * Build: cc -O2 -o gillespie_c gillespie.c $(pkg-config --cflags --libs gsl) -lm
 * Usage: gillespie_c POPULATION JUMPS REPETITIONS SEED [ALPHA BETA]
 */
#include <gsl/gsl_rng.h>
#include "driftsim_stream.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 7) {
    fprintf(stderr, "usage: %s POPULATION JUMPS REPETITIONS SEED [ALPHA BETA]\n", argv[0]);
    return 2;
  }
  long population = strtol(argv[1], 0, 10);
  uint64_t jumps = strtoull(argv[2], 0, 10);
  int reps = atoi(argv[3]);
  uint64_t seed = strtoull(argv[4], 0, 10);
  double alpha = argc == 7 ? atof(argv[5]) : 0.5, beta = argc == 7 ? atof(argv[6]) : 0.5;
  /* x1* solves beta x^2 + (1 + alpha - beta) x - alpha = 0. */
  double b = 1 + alpha - beta;
  double x1 = beta > 0 ? (-b + sqrt(b * b + 4 * beta * alpha)) / (2 * beta) : alpha / (1 + alpha);
  double s0 = (1 - x1) * population, s1 = x1 * population;
  long c0 = (long)floor(s0), c1 = (long)floor(s1);
  if (c0 + c1 < population) { if (s0 - floor(s0) >= s1 - floor(s1)) c0++; else c1++; }
  double *rates = malloc(sizeof(double) * reps);
  double final_time = 0;
  double m = (double)population, inv = 1.0 / (double)population;
  for (int r = 0; r < reps; r++) {
    uint64_t path[2] = {0x43544D43ULL, (uint64_t)population};
    gsl_rng *rng = driftsim_stream(seed, path, 2);
    long n0 = c0, n1 = c1;
    double t = 0;
    struct timespec ta, tb;
    clock_gettime(CLOCK_MONOTONIC, &ta);
    for (uint64_t i = 0; i < jumps; i++) {
      double x0 = (double)n0 * inv, xi = (double)n1 * inv;
      double infection = x0 * (alpha + beta * xi), recovery = xi;
      double total = infection + recovery;
      t = t - log(gsl_rng_uniform_pos(rng)) / (m * total);
      double target = gsl_rng_uniform_pos(rng) * total;
      if (infection < target) { n0++; n1--; } else { n0--; n1++; }
    }
    clock_gettime(CLOCK_MONOTONIC, &tb);
    double secs = (tb.tv_sec - ta.tv_sec) + 1e-9 * (tb.tv_nsec - ta.tv_nsec);
    rates[r] = jumps / secs;
    final_time = t;
    gsl_rng_free(rng);
    fprintf(stderr, "C repetition %d/%d: %.3f M transitions/s\n", r + 1, reps, rates[r] / 1e6);
  }
  qsort(rates, reps, sizeof(double), cmp);
  double med = reps % 2 ? rates[reps / 2] : 0.5 * (rates[reps / 2 - 1] + rates[reps / 2]);
  printf("{\"transitionsPerSecond\": %.1f, \"population\": %ld, \"jumps\": %llu, \"finalTimeSeconds\": %.17g}\n", med,
         population, (unsigned long long)jumps, final_time);
  return 0;
}
