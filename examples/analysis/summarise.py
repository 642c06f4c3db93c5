"""Count patients with asthma by sex, rounded to the nearest 5 for disclosure control."""
import csv
import gzip
import sys
from collections import Counter

counts = Counter()
with gzip.open(sys.argv[1], "rt", newline="") as f:
    for row in csv.DictReader(f):
        if row["has_asthma"] == "T":
            counts[row["sex"]] += 1

with open("output/summary.csv", "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(["sex", "patients_with_asthma"])
    for sex in sorted(counts):
        n = counts[sex]
        out.writerow([sex, "[REDACTED]" if n <= 7 else 5 * round(n / 5)])
