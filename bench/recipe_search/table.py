"""results.jsonl as a markdown table (last row per tag)."""
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.jsonl"
import json
rows = {}
for line in open(RESULTS):
    r = json.loads(line)
    rows[r["tag"]] = r
print("| tag | settings | 5-NN test mu | decode(mu) right class | prior recognised | test -ELBO | KL | active | epoch kept | train s | decoder params |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows.values():
    args = " ".join(r["args"].split()[2:]).replace(" --verbose", "")
    print(f"| {r['tag']} | `{args or '(defaults)'}` | {r['knn5']:.3f} | {r['recon_acc']:.3f} | {r['prior_share']:.3f} | {r['neg_elbo']:.1f} | {r['kl']:.1f} | {r['active']} | {r['epoch']} | {r['seconds']:.0f} | {r['dec_params']:,} |")
