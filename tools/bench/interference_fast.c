/* Fast-generator baseline for `driftsim bench interference` (issue 14): the same plain C
 * time-stepped loop as interference.c (K pairs, crossGain 0, csi-only, water level κ/γ, single-user
 * water-filling capped at the queue, FIFO bit service, departures at the slot end, the same
 * statistics), but with the fastest reasonable generator: xoshiro256+ (Blackman & Vigna 2018) and
 * exponentials as −log U with U = (x >> 11 + 0.5) · 2^−53 in (0, 1). Arrivals are exponential
 * inter-arrival times per pair (a Poisson process), processed at the slot they fall in, so every
 * packet costs two −log U draws (inter-arrival time and size), as in DriftSim.
 *
 * With CROSSGAIN > 0 it is the paper preset's loop instead: every slot draws all K² gains
 * (L_kk = 1, L_kj = CROSSGAIN) and runs DriftSim's simultaneous (Jacobi) distributed water-filling,
 * paper Algorithm 3, with weight 1 (csi-only), tolerance 1e-9, at most 200 iterations, each pair's
 * power capped at what empties its queue; then SINR and log2(1 + SINR) service as above. (The fluid
 * policy's weights J'(Q) — one root solve per pair per epoch — are not part of this loop.)
 *
 * Build: cc -O2 -o interference_fast_c interference_fast.c -lm
 * Usage: interference_fast_c PAIRS EPOCHS REPETITIONS [GAMMA [CROSSGAIN]]
 *   defaults γ = 1 (water level κ/γ ≈ 2.40, as `driftsim bench interference`'s interference-free
 *   case), CROSSGAIN 0. Prints JSON with the median epochs/s.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct { uint64_t s[4]; } xoshiro_t;
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t xnext(xoshiro_t *r) {
  uint64_t *s = r->s, result = s[0] + s[3], t = s[1] << 17;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
  return result;
}
static inline double xexp(xoshiro_t *r) { return -log(((double)(xnext(r) >> 11) + 0.5) * 0x1.0p-53); }
static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
static void xseed(xoshiro_t *r, uint64_t seed) { for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed); }

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
  if (argc < 4 || argc > 6) { fprintf(stderr, "usage: %s PAIRS EPOCHS REPETITIONS [GAMMA [CROSSGAIN]]\n", argv[0]); return 2; }
  int K = atoi(argv[1]); long epochs = atol(argv[2]); int reps = atoi(argv[3]);
  if (K < 1 || epochs < 1 || reps < 1) { fprintf(stderr, "%s: PAIRS, EPOCHS and REPETITIONS must be positive\n", argv[0]); return 2; }
  const double W = 10e6, tau = 0.005, S = 30000, lambda = 1; const int N = 10;
  const double slot = tau / N, bitsPerLog2 = W * slot, kappa = W * tau / (S * M_LN2);
  const double gamma_ = argc >= 5 ? atof(argv[4]) : 1.0, cross = argc >= 6 ? atof(argv[5]) : 0.0;
  const double level = kappa / gamma_, meanGap = tau / lambda;
  if (!(gamma_ > 0) || !(cross >= 0)) { fprintf(stderr, "%s: GAMMA must be > 0 and CROSSGAIN >= 0\n", argv[0]); return 2; }
  double *G = malloc(K * K * sizeof(double)), *P = malloc(K * sizeof(double)), *Pn = malloc(K * sizeof(double));
  double *I = malloc(K * sizeof(double)), *M = malloc(K * sizeof(double)), *capf = malloc(K * sizeof(double));
  double *ww = malloc(K * sizeof(double)), *sinr = malloc(K * sizeof(double));
  long iterations = 0;
  double *cpuRates = malloc(reps * sizeof(double)), *rates = malloc(reps * sizeof(double)), checksum = 0;
  for (int r = 0; r < reps; r++) {
    xoshiro_t *arr = malloc(K * sizeof(*arr)), *siz = malloc(K * sizeof(*siz)), *fad = malloc(K * sizeof(*fad));
    fifo_t *q = calloc(K, sizeof(fifo_t)); double *qbits = calloc(K, sizeof(double)), *next = calloc(K, sizeof(double));
    for (int k = 0; k < K; k++) {
      xseed(&arr[k], 3 * k + 1); xseed(&siz[k], 3 * k + 2); xseed(&fad[k], 3 * k + 3);
      q[k].cap = 64; q[k].arrival = malloc(64 * sizeof(double)); q[k].bits = malloc(64 * sizeof(double));
      next[k] = meanGap * xexp(&arr[k]);
    }
    double delaySum = 0, powerSum = 0; long departures = 0;
    struct timespec a, b, ca, cb; clock_gettime(CLOCK_MONOTONIC, &a); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
    for (long e = 0; e < epochs; e++) {
      for (int k = 0; k < K; k++) {           /* re-sum small queues exactly, as DriftSim does */
        if (q[k].count <= 64) { double sum = 0; for (size_t i = 0; i < q[k].count; i++) sum += q[k].bits[(q[k].head + i) & (q[k].cap - 1)]; qbits[k] = sum; }
      }
      for (int n = 0; n < N; n++) {
        double t0 = (e * N + n) * slot, t1 = t0 + slot;
        if (cross > 0) {                      /* paper preset: Algorithm 3 over all K² gains */
          for (int k = 0; k < K; k++) {
            for (int j = 0; j < K; j++) G[k * K + j] = (j == k ? 1.0 : cross) * xexp(&fad[k]);
            P[k] = 0;
            capf[k] = qbits[k] > 0 ? expm1(qbits[k] / bitsPerLog2 * M_LN2) / G[k * K + k] : 0;
            ww[k] = qbits[k] > 0 ? kappa : 0;
          }
          for (int it = 0; it < 200; it++) {
            int done = 1; iterations++;
            for (int k = 0; k < K; k++) {
              double tot = 0; for (int j = 0; j < K; j++) tot += P[j] * G[k * K + j];
              double sig = P[k] * G[k * K + k], sum = tot - sig, npi = 1 + sum;
              I[k] = sum; M[k] = ww[k] * sig / (npi * (npi + sig));
            }
            for (int k = 0; k < K; k++) {
              double p = 0;
              if (ww[k] > 0) {
                double price = gamma_ - M[k] * G[k * K + k];
                for (int j = 0; j < K; j++) price += M[j] * G[j * K + k];
                double npi = 1 + I[k];
                p = ww[k] / price - npi / G[k * K + k]; if (p < 0) p = 0;
                if (p > capf[k] * npi) p = capf[k] * npi;
              }
              Pn[k] = p;
            }
            for (int k = 0; k < K; k++) { if (fabs(Pn[k] - P[k]) > 1e-9 * (Pn[k] > 1 ? Pn[k] : 1)) done = 0; P[k] = Pn[k]; }
            if (done) break;
          }
          for (int k = 0; k < K; k++) {
            double tot = 0; for (int j = 0; j < K; j++) tot += P[j] * G[k * K + j];
            double sig = P[k] * G[k * K + k];
            sinr[k] = sig / (1 + tot - sig);
          }
        }
        for (int k = 0; k < K; k++) {
          double start_bits = qbits[k];
          size_t start_count = q[k].count;
          double p = 0, served = 0, capacity = 0;
          if (cross > 0) {
            p = P[k]; capacity = p > 0 ? bitsPerLog2 * log2(1 + sinr[k]) : 0;
          } else {
            double g = xexp(&fad[k]);
            if (start_bits > 0) {
              double cap = expm1(start_bits / bitsPerLog2 * M_LN2) / g;
              p = level - 1 / g; if (p < 0) p = 0; if (p > cap) p = cap;
              capacity = bitsPerLog2 * log2(1 + p * g);
            }
          }
          if (p > 0) {
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
          /* arrivals during the slot (exponential gaps), served from the next slot on */
          while (next[k] < t1) {
            double bits = S * xexp(&siz[k]);
            push(&q[k], next[k], bits); qbits[k] += bits;
            next[k] += meanGap * xexp(&arr[k]);
          }
        }
      }
    }
    clock_gettime(CLOCK_MONOTONIC, &b); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
    double secs = (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec);
    rates[r] = epochs / secs; cpuRates[r] = epochs / ((cb.tv_sec - ca.tv_sec) + 1e-9 * (cb.tv_nsec - ca.tv_nsec)); checksum = delaySum / departures + powerSum / (epochs * N * K);
    fprintf(stderr, "C (xoshiro256+) repetition %d/%d: %.0f epochs/s (mean delay %.3f ms, power %.3f)\n", r + 1, reps, rates[r],
            1e3 * delaySum / departures, powerSum / (epochs * N * K));
    for (int k = 0; k < K; k++) { free(q[k].arrival); free(q[k].bits); }
    free(arr); free(siz); free(fad); free(q); free(qbits); free(next);
  }
  qsort(rates, reps, sizeof(double), cmp); qsort(cpuRates, reps, sizeof(double), cmp);
  double med = reps % 2 ? rates[reps / 2] : 0.5 * (rates[reps / 2 - 1] + rates[reps / 2]);
  double cpuMed = reps % 2 ? cpuRates[reps / 2] : 0.5 * (cpuRates[reps / 2 - 1] + cpuRates[reps / 2]);
  printf("{\"epochsPerSecond\": %.1f, \"cpuEpochsPerSecond\": %.1f, \"pairs\": %d, \"epochs\": %ld, \"crossGain\": %g, \"gamma\": %g, \"meanIterationsPerSlot\": %.3f, \"checksum\": %.6f}\n",
         med, cpuMed, K, epochs, cross, gamma_, cross > 0 ? (double)iterations / ((double)reps * epochs * N) : 1.0, checksum);
  return 0;
}
