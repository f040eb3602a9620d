#!/usr/bin/env python3
"""Merge the sweep.csv files of the policies comparison into docs/policies.csv and draw docs/policies.svg.

Usage: tools/policies_table.py OUT_PREFIX VARIANT=DIR [VARIANT=DIR ...]
Each DIR holds the sweep.csv of one `driftsim sweep` run (one refresh granularity, schedule or
vi-delay variant); rows are labelled "policy (VARIANT)", except the policies that ignore the weight
refresh (csi-only, tdma, vi, vi-delay) in the variants epoch and slot.
"""
import csv, sys

prefix, specs = sys.argv[1], sys.argv[2:]
rows = []
for spec in specs:
    variant, directory = spec.split("=", 1)
    with open(f"{directory}/sweep.csv") as f:
        reader = csv.DictReader(f)
        axis = reader.fieldnames[0]  # the varied key (arrivalRate)
        for r in reader:
            r["value"] = r[axis]
            r["variant"] = variant
            # csi-only and tdma ignore weightUpdate, and vi / vi-delay decide every slot whatever it says.
            plain = r["policy"] in ("csi-only", "tdma", "vi", "vi-delay") and variant in ("epoch", "slot")
            r["label"] = r["policy"] if plain else f"{r['policy']} ({variant})"
            rows.append(r)
fields = ["label", "policy", "variant"] + [k for k in rows[0].keys() if k not in ("label", "policy", "variant")]
with open(prefix + ".csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=fields)
    w.writeheader()
    for r in rows:
        w.writerow({k: r[k] for k in fields})

# SVG: mean delay (ms) vs λ with 95 % CI bars, one polyline per label.
ok = [r for r in rows if r["status"] == "ok" and r["meanDelayMs"] not in ("", "nan")]
labels = sorted({r["label"] for r in ok})
xs = sorted({float(r["value"]) for r in ok})
ymax = max(float(r["meanDelayHigh"] or r["meanDelayMs"]) for r in ok)
ymax = min(ymax, 12.0)
W, H, L, B, T, R = 760, 480, 60, 50, 20, 230
def px(x): return L + (x - xs[0]) / (xs[-1] - xs[0]) * (W - L - R)
def py(y): return H - B - min(y, ymax) / ymax * (H - B - T)
colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aa4499", "#44aa99"]
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{L}" y="14">Mean delay per packet at 6 dB (equal power), paper preset K = 5; 95 % CIs</text>']
for i in range(7):
    y = ymax * i / 6
    out.append(f'<line x1="{L}" x2="{W-R}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#ddd"/><text x="{L-6}" y="{py(y)+4:.1f}" text-anchor="end">{y:.1f}</text>')
for x in xs:
    out.append(f'<text x="{px(x):.1f}" y="{H-B+16}" text-anchor="middle">{x:g}</text>')
out.append(f'<text x="{(L+W-R)/2}" y="{H-12}" text-anchor="middle">λ (packets/epoch per pair)</text>')
out.append(f'<text x="14" y="{(H-B+T)/2}" transform="rotate(-90 14 {(H-B+T)/2})" text-anchor="middle">mean delay (ms)</text>')
for i, label in enumerate(labels):
    c = colors[i % len(colors)]
    pts = sorted((float(r["value"]), float(r["meanDelayMs"]), r) for r in ok if r["label"] == label)
    out.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (c, " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, _ in pts)))
    for x, y, r in pts:
        if r["meanDelayLow"] and r["meanDelayHigh"]:
            out.append(f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{py(float(r["meanDelayLow"])):.1f}" y2="{py(float(r["meanDelayHigh"])):.1f}" stroke="{c}"/>')
        out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{c}"/>')
    out.append(f'<line x1="{W-R+10}" x2="{W-R+30}" y1="{T+14+i*18}" y2="{T+14+i*18}" stroke="{c}" stroke-width="2"/><text x="{W-R+35}" y="{T+18+i*18}">{label}</text>')
out.append("</svg>")
open(prefix + ".svg", "w").write("\n".join(out) + "\n")
print(f"wrote {prefix}.csv ({len(rows)} rows) and {prefix}.svg")
