#!/usr/bin/env python3
"""Independent reference values for DriftSim's mean-field tests (SIS with external infection).

The SIS chain with M objects is a birth-death chain on the infected count k in {0..M}:
up-rate alpha(M-k) + beta(M-k)k/M, down-rate k. Its stationary distribution is computed here
with mpmath at 50 digits (products of rate ratios, no logs needed at this precision), giving
exact E[x1] and M*E||x - x*||^2 = M * sum_k pi_k ((k/M - x1*)^2 + ((M-k)/M - x0*)^2).
Also the refined mean-field constant V1 = lim M (E[x1] - x1*) from the closed form -beta*Q/(2A^2).

Usage: python3 tools/reference/meanfield_sis_reference.py [alpha beta M...]
"""
import sys
from mpmath import mp, mpf, sqrt

mp.dps = 50

def equilibrium(alpha, beta):
    # 0 = alpha(1-x1) + beta(1-x1)x1 - x1  <=>  beta x1^2 + (1 + alpha - beta) x1 - alpha = 0
    if beta == 0:
        return alpha / (1 + alpha)
    b = 1 + alpha - beta
    return (-b + sqrt(b * b + 4 * beta * alpha)) / (2 * beta)

def exact(alpha, beta, M):
    alpha, beta = mpf(alpha), mpf(beta)
    x1s = equilibrium(alpha, beta)
    x0s = 1 - x1s
    weights = [mpf(1)]
    for k in range(M):
        up = alpha * (M - k) + beta * (M - k) * k / M
        down = mpf(k + 1)
        weights.append(weights[-1] * up / down)
    total = sum(weights)
    mean = sum(w * k for k, w in enumerate(weights)) / total / M
    mse = sum(w * ((mpf(k) / M - x1s) ** 2 + (mpf(M - k) / M - x0s) ** 2) for k, w in enumerate(weights)) / total
    return x1s, mean, M * mse

def refined(alpha, beta):
    alpha, beta = mpf(alpha), mpf(beta)
    x1 = equilibrium(alpha, beta)
    A = -alpha + beta * (1 - 2 * x1) - 1
    Q = 2 * x1
    return -beta * Q / (2 * A * A), -Q / (2 * A)  # V1 and the variance term of x1

if __name__ == "__main__":
    alpha = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    beta = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
    Ms = [int(a) for a in sys.argv[3:]] or [10, 100, 200, 500, 1000, 10000]
    v1, w11 = refined(alpha, beta)
    print(f"alpha={alpha} beta={beta} x1*={mp.nstr(equilibrium(mpf(alpha), mpf(beta)), 20)}")
    print(f"refined V1={mp.nstr(v1, 20)}  lim M*E||x-x*||^2 = 2*W11 = {mp.nstr(2 * w11, 20)}")
    for M in Ms:
        x1s, mean, scaled = exact(alpha, beta, M)
        print(f"M={M:6d} E[x1]={mp.nstr(mean, 20)} M*E||x-x*||^2={mp.nstr(scaled, 20)} M(E[x1]-x1*)={mp.nstr(M * (mean - x1s), 15)}")
