/* The hold-model baseline for `driftsim bench kernel`: a plain C binary min-heap of
 * (time, sequence) events, increments drawn with gsl_ran_exponential from a taus2 generator seeded
 * exactly as DriftSim's RandomStream seeds StreamID(0x686F6C64) of the base seed. Same workload,
 * same draws, so the final simulated time must equal driftsim's bit for bit (printed as a check).
 *
 * Build: cc -O2 -o hold_c hold.c $(pkg-config --cflags --libs gsl)
 * Usage: hold_c POPULATION EVENTS REPETITIONS SEED
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "driftsim_stream.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct { double time; uint64_t seq; } event_t;

static event_t *heap;
static size_t heap_n;
static uint64_t next_seq;

static inline int before(const event_t *a, const event_t *b) {
  return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static inline void push(double t) {
  event_t e = {t, next_seq++};
  size_t child = heap_n++;
  while (child > 0) {
    size_t parent = (child - 1) >> 1;
    if (!before(&e, &heap[parent])) break;
    heap[child] = heap[parent];
    child = parent;
  }
  heap[child] = e;
}

static inline event_t pop(void) {
  event_t top = heap[0];
  event_t last = heap[--heap_n];
  size_t n = heap_n, parent = 0;
  if (n == 0) return top;
  for (;;) {
    size_t child = 2 * parent + 1;
    if (child >= n) break;
    if (child + 1 < n && before(&heap[child + 1], &heap[child])) child++;
    if (!before(&heap[child], &last)) break;
    heap[parent] = heap[child];
    parent = child;
  }
  heap[parent] = last;
  return top;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: %s POPULATION EVENTS REPETITIONS SEED\n", argv[0]); return 2; }
  size_t population = strtoull(argv[1], 0, 10);
  uint64_t events = strtoull(argv[2], 0, 10);
  int reps = atoi(argv[3]);
  uint64_t seed = strtoull(argv[4], 0, 10);
  double *rates = malloc(sizeof(double) * reps);
  double final_time = 0;
  heap = malloc(sizeof(event_t) * (population + 1));
  for (int r = 0; r < reps; r++) {
    const uint64_t path[1] = {0x686F6C64ULL};
    gsl_rng *rng = driftsim_stream(seed, path, 1);
    heap_n = 0; next_seq = 0;
    double now = 0;
    for (size_t i = 0; i < population; i++) push(now + gsl_ran_exponential(rng, 1.0));
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (uint64_t i = 0; i < events; i++) {
      event_t e = pop();
      now = e.time;
      push(now + gsl_ran_exponential(rng, 1.0));
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (b.tv_sec - a.tv_sec) + 1e-9 * (b.tv_nsec - a.tv_nsec);
    rates[r] = events / secs;
    final_time = now;
    gsl_rng_free(rng);
    fprintf(stderr, "C repetition %d/%d: %.3f M events/s\n", r + 1, reps, rates[r] / 1e6);
  }
  qsort(rates, reps, sizeof(double), cmp);
  double med = reps % 2 ? rates[reps / 2] : 0.5 * (rates[reps / 2 - 1] + rates[reps / 2]);
  printf("{\"eventsPerSecond\": %.1f, \"population\": %zu, \"events\": %llu, \"finalSimulatedTimeSeconds\": %.17g}\n",
         med, population, (unsigned long long)events, final_time);
  return 0;
}
