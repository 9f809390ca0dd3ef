"""Reference values for test/evaluation-metrics.test.ts, computed with scikit-learn and numpy.

Run: python scripts/evaluation-reference.py  (scikit-learn 1.9.1, numpy; from the local mirror:
pip install --index-url file:///opt/pypi/simple scikit-learn). It prints the JSON the test holds
as constants; the cases are written out here, the same as in the test.
"""
import json

import numpy as np
from sklearn.metrics import average_precision_score, balanced_accuracy_score, confusion_matrix, roc_auc_score

# ties on purpose (0.8 twice across classes, 0.35 three times)
SCORES = [0.95, 0.9, 0.8, 0.8, 0.7, 0.62, 0.55, 0.5, 0.45, 0.35, 0.35, 0.35, 0.3, 0.22, 0.2, 0.15, 0.1, 0.08, 0.05, 0.01]
LABELS = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def ece(scores, labels, bins=10):
    s = np.asarray(scores)
    y = np.asarray(labels)
    b = np.minimum((s * bins).astype(int), bins - 1)
    total = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            total += m.sum() / len(s) * abs(y[m].mean() - s[m].mean())
    return total


out = {}
for t in (0.5, 0.35, 0.8):
    pred = (np.asarray(SCORES) >= t).astype(int)
    tn, fp, fn, tp = confusion_matrix(LABELS, pred, labels=[0, 1]).ravel()
    out[f"t{t}"] = {
        "tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn),
        "balancedAccuracy": balanced_accuracy_score(LABELS, pred),
    }
out["auroc"] = roc_auc_score(LABELS, SCORES)
out["averagePrecision"] = average_precision_score(LABELS, SCORES)
out["ece10"] = ece(SCORES, LABELS, 10)
out["ece5"] = ece(SCORES, LABELS, 5)
print(json.dumps(out, indent=2))
