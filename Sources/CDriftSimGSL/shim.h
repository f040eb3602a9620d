// DriftSim's view of GSL: the headers it uses, plus accessors for GSL's global type descriptors.
// Swift 6 rejects GSL's mutable global variables (gsl_rng_taus2, gsl_root_fsolver_brent, ...) as
// not concurrency-safe, so each one is exposed through a tiny static inline function instead.
#ifndef DRIFTSIM_CGSL_SHIM_H
#define DRIFTSIM_CGSL_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_sf_result.h>
#include <gsl/gsl_sf_expint.h>
#include <gsl/gsl_sf_lambert.h>
#include <gsl/gsl_roots.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_eigen.h>

// Random number generator types.
static inline const gsl_rng_type *driftsim_rng_taus2(void) { return gsl_rng_taus2; }
static inline const gsl_rng_type *driftsim_rng_mt19937(void) { return gsl_rng_mt19937; }
static inline const gsl_rng_type *driftsim_rng_ranlxd2(void) { return gsl_rng_ranlxd2; }

// Bracketing root solvers.
static inline const gsl_root_fsolver_type *driftsim_root_brent(void) { return gsl_root_fsolver_brent; }

// ODE steppers: explicit embedded Runge-Kutta, and implicit (stiff) methods.
static inline const gsl_odeiv2_step_type *driftsim_ode_rk8pd(void) { return gsl_odeiv2_step_rk8pd; }
static inline const gsl_odeiv2_step_type *driftsim_ode_rkf45(void) { return gsl_odeiv2_step_rkf45; }
static inline const gsl_odeiv2_step_type *driftsim_ode_rkck(void) { return gsl_odeiv2_step_rkck; }
static inline const gsl_odeiv2_step_type *driftsim_ode_msbdf(void) { return gsl_odeiv2_step_msbdf; }
static inline const gsl_odeiv2_step_type *driftsim_ode_bsimp(void) { return gsl_odeiv2_step_bsimp; }
static inline const gsl_odeiv2_step_type *driftsim_ode_rk4imp(void) { return gsl_odeiv2_step_rk4imp; }

// Sets the full 96-bit state of a taus2 generator (GSL's taus.c keeps three unsigned longs
// s1, s2, s3 of which the low 32 bits are used). gsl_rng_set only accepts a 32-bit seed, whose
// birthday collisions are likely once a sweep uses ~10^5 streams; seeding the whole state makes
// collisions negligible. The constraints s1 > 1, s2 > 7, s3 > 15 and the six warm-up draws are
// those of GSL's own taus2_set. Returns 0 on success, -1 if `r` is not a taus2 generator of the
// expected state size (then nothing is changed).
static inline int driftsim_taus2_set_state(gsl_rng *r, uint32_t s1, uint32_t s2, uint32_t s3) {
  if (r == NULL || r->type != gsl_rng_taus2 || gsl_rng_size(r) != 3 * sizeof(unsigned long)) {
    return -1;
  }
  unsigned long *state = (unsigned long *)gsl_rng_state(r);
  state[0] = s1 < 2 ? s1 + 2UL : s1;
  state[1] = s2 < 8 ? s2 + 8UL : s2;
  state[2] = s3 < 16 ? s3 + 16UL : s3;
  for (int i = 0; i < 6; i++) {
    (void)gsl_rng_get(r);
  }
  return 0;
}

#endif
