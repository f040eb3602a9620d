/* Baseline for `driftsim bench interference`: a plain C time-stepped loop of the same model as
 * DriftSim's interference-free CSI-only case (K pairs, crossGain 0, weight 1): per slot, Poisson
 * arrivals per pair at uniform instants with exponential sizes, one Rayleigh draw per pair, single-
 * user water-filling capped at the queue, FIFO bit service with departures at the slot end, and
 * the same statistics (delay sum, power sum). GSL taus2 streams, seeded with gsl_rng_set.
 *
 * Build: cc -O2 -o interference_c interference.c $(pkg-config --cflags --libs gsl) -lm
 * Usage: interference_c PAIRS EPOCHS REPETITIONS   (prints JSON with the median epochs/s)
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct { double *arrival, *bits; size_t head, count, cap; } fifo_t;

static void push(fifo_t *q, double t, double b) {
  if (q->count == q->cap) {
    size_t nc = q->cap * 2;
    double *na = malloc(nc * sizeof(double)), *nb = malloc(nc * sizeof(double));
    for (size_t i = 0; i < q->count; i++) { size_t s = (q->head + i) & (q->cap - 1); na[i] = q->arrival[s]; nb[i] = q->bits[s]; }
    free(q->arrival); free(q->bits); q->arrival = na; q->bits = nb; q->cap = nc; q->head = 0;
  }
  size_t s = (q->head + q->count) & (q->cap - 1);
  q->arrival[s] = t; q->bits[s] = b; q->count++;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s PAIRS EPOCHS REPETITIONS\n", argv[0]); return 2; }
  int K = atoi(argv[1]); long epochs = atol(argv[2]); int reps = atoi(argv[3]);
  const double W = 10e6, tau = 0.005, S = 30000, gamma_ = 1, lambda = 1; const int N = 10;
  const double slot = tau / N, bitsPerLog2 = W * slot, kappa = W * tau / (S * M_LN2);
  double *cpuRates = malloc(reps * sizeof(double)), *rates = malloc(reps * sizeof(double)), checksum = 0;
  for (int r = 0; r < reps; r++) {
    gsl_rng **arr = malloc(K * sizeof(*arr)), **siz = malloc(K * sizeof(*siz)), **fad = malloc(K * sizeof(*fad));
    fifo_t *q = calloc(K, sizeof(fifo_t)); double *qbits = calloc(K, sizeof(double));
    for (int k = 0; k < K; k++) {
      arr[k] = gsl_rng_alloc(gsl_rng_taus2); gsl_rng_set(arr[k], 3 * k + 1);
      siz[k] = gsl_rng_alloc(gsl_rng_taus2); gsl_rng_set(siz[k], 3 * k + 2);
      fad[k] = gsl_rng_alloc(gsl_rng_taus2); gsl_rng_set(fad[k], 3 * k + 3);
      q[k].cap = 64; q[k].arrival = malloc(64 * sizeof(double)); q[k].bits = malloc(64 * sizeof(double));
    }
    double delaySum = 0, powerSum = 0; long departures = 0;
    struct timespec a, b, ca, cb; clock_gettime(CLOCK_MONOTONIC, &a); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
    for (long e = 0; e < epochs; e++) {
      for (int k = 0; k < K; k++) {           /* re-sum small queues exactly, as DriftSim does */
        if (q[k].count <= 64) { double sum = 0; for (size_t i = 0; i < q[k].count; i++) sum += q[k].bits[(q[k].head + i) & (q[k].cap - 1)]; qbits[k] = sum; }
      }
      for (int n = 0; n < N; n++) {
        double t0 = (e * N + n) * slot, t1 = t0 + slot;
        for (int k = 0; k < K; k++) {
          double start_bits = qbits[k];                        /* served bits come from packets present at t0 */
          size_t start_count = q[k].count;
          double g = gsl_ran_exponential(fad[k], 1.0);
          double p = 0, served = 0;
          if (start_bits > 0) {
            double cap = expm1(start_bits / bitsPerLog2 * M_LN2) / g;
            p = kappa / gamma_ - 1 / g; if (p < 0) p = 0; if (p > cap) p = cap;
            double capacity = bitsPerLog2 * log2(1 + p * g);
            /* As DriftSim does: at the power cap the whole queue present at t0 leaves (counted in
             * packets, so rounding in the running bit total cannot strand a sliver); otherwise
             * serve bits from the head, a sub-micro-bit remainder counting as sent. */
            served = capacity >= start_bits * (1 - 1e-9) ? start_bits : capacity;
            if (served == start_bits) {
              for (size_t i = 0; i < start_count; i++) {
                size_t h = q[k].head;
                delaySum += t1 - q[k].arrival[h]; departures++;
                q[k].head = (h + 1) & (q[k].cap - 1); q[k].count--;
              }
            } else {
              double rem = served;
              while (rem > 0 && q[k].count) {
                size_t h = q[k].head;
                if (q[k].bits[h] <= rem + 1e-6) { rem -= q[k].bits[h]; delaySum += t1 - q[k].arrival[h]; departures++;
                  q[k].head = (h + 1) & (q[k].cap - 1); q[k].count--; }
                else { q[k].bits[h] -= rem; rem = 0; }
              }
            }
            qbits[k] = q[k].count ? qbits[k] - served : 0;
          }
          powerSum += p;
          /* arrivals during the slot, served from the next slot on */
          unsigned int m = gsl_ran_poisson(arr[k], lambda / N);
          for (unsigned int i = 0; i < m; i++) {
            double bits = gsl_ran_exponential(siz[k], S);
            push(&q[k], t0 + slot * gsl_rng_uniform(arr[k]), bits); qbits[k] += bits;
          }
        }
      }
    }
    clock_gettime(CLOCK_MONOTONIC, &b); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
    double secs = (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec);
    rates[r] = epochs / secs; cpuRates[r] = epochs / ((cb.tv_sec - ca.tv_sec) + 1e-9 * (cb.tv_nsec - ca.tv_nsec)); checksum = delaySum / departures + powerSum / (epochs * N * K);
    fprintf(stderr, "C repetition %d/%d: %.0f epochs/s (mean delay %.3f ms, power %.3f)\n", r + 1, reps, rates[r],
            1e3 * delaySum / departures, powerSum / (epochs * N * K));
    for (int k = 0; k < K; k++) { gsl_rng_free(arr[k]); gsl_rng_free(siz[k]); gsl_rng_free(fad[k]); free(q[k].arrival); free(q[k].bits); }
    free(arr); free(siz); free(fad); free(q); free(qbits);
  }
  qsort(rates, reps, sizeof(double), cmp); qsort(cpuRates, reps, sizeof(double), cmp);
  double med = reps % 2 ? rates[reps / 2] : 0.5 * (rates[reps / 2 - 1] + rates[reps / 2]);
  double cpuMed = reps % 2 ? cpuRates[reps / 2] : 0.5 * (cpuRates[reps / 2 - 1] + cpuRates[reps / 2]);
  printf("{\"epochsPerSecond\": %.1f, \"cpuEpochsPerSecond\": %.1f, \"pairs\": %d, \"epochs\": %ld, \"checksum\": %.6f}\n", med, cpuMed, K, epochs, checksum);
  return 0;
}
