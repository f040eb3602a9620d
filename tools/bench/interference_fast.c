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
 * Build: cc -O2 -o interference_fast_c interference_fast.c $(pkg-config --cflags --libs gsl) -lm
 * Usage: interference_fast_c PAIRS EPOCHS REPETITIONS [GAMMA [CROSSGAIN [WEIGHTS]]]
 *   defaults γ = 1 (water level κ/γ ≈ 2.40, as `driftsim bench interference`'s interference-free
 *   case), CROSSGAIN 0. Prints JSON with the median epochs/s.
 */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_expint.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
/* The fluid policy's weight J'(Q) (model.md, "Per-flow fluid value function"; beta = 1, L = 1):
 * q(y) = C[(1/a + y) E1(z) - (lambda/kappa) y - y e^-z + cInf/kappa], z = 1/(a y), a = kappa/gamma,
 * C = lambda kappa, inverted by Halley's method from the tangent at the pair's previous solve, as
 * DriftSim did before its slope table (same stopping rule; bisection keeps the bracket). */
typedef struct { double a, c, lk, kappa, v, cInf, halfCurvature; } fluid_t;
static double e1(double z) {
  gsl_sf_result r;
  if (gsl_sf_expint_E1_e(z, &r) != GSL_SUCCESS) { fprintf(stderr, "gsl_sf_expint_E1(%g) failed\n", z); exit(1); }
  return r.val;
}
static fluid_t fluid_make(double lambda, double kappa, double gamma_) {
  fluid_t f; f.a = kappa / gamma_; f.c = lambda * kappa; f.lk = lambda / kappa; f.kappa = kappa;
  double lo = 1e-300, hi = 750; /* E1(z0) = lambda/kappa by bisection: E1 decreases */
  for (int i = 0; i < 2000 && hi - lo > 1e-17 * hi; i++) { double m = 0.5 * (lo + hi); if (e1(m) > f.lk) lo = m; else hi = m; }
  double z0 = 0.5 * (lo + hi);
  f.v = 1 / (f.a * z0); f.cInf = f.v * kappa * exp(-z0) - gamma_ * e1(z0);
  f.halfCurvature = f.c * exp(-z0) / (2 * f.v);
  return f;
}
static double fluid_slope(const fluid_t *f, double Q, double *prevQ, double *prevY, double *prevD) {
  if (Q == 0) return f->v;
  double y = *prevD > 0 ? *prevY + (Q - *prevQ) / *prevD : f->v + sqrt(Q / f->halfCurvature);
  if (!(y > f->v)) y = f->v + sqrt(Q / f->halfCurvature);
  double lower = f->v, upper = INFINITY;
  for (int it = 0; it < 60; it++) {
    double z = 1 / (f->a * y), E = e1(z), ez = exp(-z);
    double q = f->c * ((1 / f->a + y) * E - f->lk * y - y * ez + f->cInf / f->kappa);
    double d1 = f->c * (E - f->lk), d2 = f->c * ez / y, fv = q - Q;
    if (fv == 0) { *prevQ = Q; *prevY = y; *prevD = d1; return y; }
    if (fv < 0) lower = y > lower ? y : lower; else upper = y < upper ? y : upper;
    double step = fv / d1, t = fv * d2 / (2 * d1 * d1);
    if (t < 0.5 && t > -1) step /= 1 - t;
    double cand = y - step;
    if (d1 > 0 && fabs(step) <= 1e-6 * (y - f->v) && cand > lower && cand < upper) { *prevQ = Q; *prevY = cand; *prevD = d1; return cand; }
    y = d1 > 0 && cand > lower && cand < upper ? cand : (isinf(upper) ? 2 * (y > lower ? y : lower) : 0.5 * (lower + upper));
  }
  *prevQ = Q; *prevY = y; *prevD = 0; return y;
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
  if (argc < 4 || argc > 7) { fprintf(stderr, "usage: %s PAIRS EPOCHS REPETITIONS [GAMMA [CROSSGAIN [csi|fluid|qwto]]]\n", argv[0]); return 2; }
  int K = atoi(argv[1]); long epochs = atol(argv[2]); int reps = atoi(argv[3]);
  if (K < 1 || epochs < 1 || reps < 1) { fprintf(stderr, "%s: PAIRS, EPOCHS and REPETITIONS must be positive\n", argv[0]); return 2; }
  const double W = 10e6, tau = 0.005, S = 30000, lambda = 1; const int N = 10;
  const double slot = tau / N, bitsPerLog2 = W * slot, kappa = W * tau / (S * M_LN2);
  const double gamma_ = argc >= 5 ? atof(argv[4]) : 1.0, cross = argc >= 6 ? atof(argv[5]) : 0.0;
  const double level = kappa / gamma_, meanGap = tau / lambda;
  if (!(gamma_ > 0) || !(cross >= 0)) { fprintf(stderr, "%s: GAMMA must be > 0 and CROSSGAIN >= 0\n", argv[0]); return 2; }
  /* Weights of the paper mode (CROSSGAIN > 0), set at every epoch start from the queue Q in packets:
   * csi 1, fluid J'(Q) (Halley on GSL's E1), qwto Q. */
  const char *weights = argc >= 7 ? argv[6] : "csi";
  int weightKind = !strcmp(weights, "csi") ? 0 : !strcmp(weights, "fluid") ? 1 : !strcmp(weights, "qwto") ? 2 : -1;
  if (weightKind < 0 || (weightKind > 0 && !(cross > 0))) { fprintf(stderr, "%s: WEIGHTS must be csi, fluid or qwto (the last two with CROSSGAIN > 0)\n", argv[0]); return 2; }
  gsl_set_error_handler_off();
  const fluid_t fluid = fluid_make(lambda, kappa, gamma_);
  double *epochWeight = malloc(K * sizeof(double)), *hq = malloc(K * sizeof(double)), *hy = malloc(K * sizeof(double)), *hd = malloc(K * sizeof(double));
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
    for (int k = 0; k < K; k++) { hq[k] = 0; hy[k] = 0; hd[k] = 0; }
    double delaySum = 0, powerSum = 0; long departures = 0;
    struct timespec a, b, ca, cb; clock_gettime(CLOCK_MONOTONIC, &a); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
    for (long e = 0; e < epochs; e++) {
      for (int k = 0; k < K; k++) {           /* re-sum small queues exactly, as DriftSim does */
        if (q[k].count <= 64) { double sum = 0; for (size_t i = 0; i < q[k].count; i++) sum += q[k].bits[(q[k].head + i) & (q[k].cap - 1)]; qbits[k] = sum; }
        double Q = qbits[k] / S;
        epochWeight[k] = weightKind == 0 ? 1 : weightKind == 1 ? fluid_slope(&fluid, Q, &hq[k], &hy[k], &hd[k]) : Q;
      }
      for (int n = 0; n < N; n++) {
        double t0 = (e * N + n) * slot, t1 = t0 + slot;
        if (cross > 0) {                      /* paper preset: Algorithm 3 over all K² gains */
          for (int k = 0; k < K; k++) {
            for (int j = 0; j < K; j++) G[k * K + j] = (j == k ? 1.0 : cross) * xexp(&fad[k]);
            P[k] = 0;
            capf[k] = qbits[k] > 0 ? expm1(qbits[k] / bitsPerLog2 * M_LN2) / G[k * K + k] : 0;
            ww[k] = qbits[k] > 0 ? epochWeight[k] * kappa : 0;
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
