#!/usr/bin/env python3
"""Fetch a subset of the dataset into rows (a pandas DataFrame when pandas is installed).

Standard library only. Usage:
    DERMASET_URL=http://127.0.0.1:4000 DERMASET_TOKEN=dst_... python3 examples/notebook.py
The query is examples/queries/notebook.graphql; here: every image verified at least by consensus.
"""
import json
import os
import pathlib
import urllib.request

URL = os.environ.get("DERMASET_URL", "http://127.0.0.1:4000").rstrip("/")
TOKEN = os.environ["DERMASET_TOKEN"]
QUERY = (pathlib.Path(__file__).parent / "queries" / "notebook.graphql").read_text()


def graphql(query, variables):
    req = urllib.request.Request(
        f"{URL}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(req) as res:
        body = json.load(res)
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


def fetch_rows(image_filter):
    rows, after = [], None
    while True:
        page = graphql(QUERY, {"first": 200, "after": after, "filter": image_filter})["images"]
        for edge in page["edges"]:
            n = edge["node"]
            rows.append({
                "sha256": n["sha256"],
                "url": n["url"],
                "patient": n["patient"]["code"],
                "lesion": n["lesion"]["code"],
                "age_at_exam": n["demographic"]["ageAtExam"],
                "sex": n["demographic"]["sex"],
                "fitzpatrick_type": n["demographic"]["fitzpatrickType"],
                "anatomical_site": n["morphological"]["anatomicalSite"],
                "diagnosis_class": n["diagnostic"]["diagnosisClass"]["code"],
                "origin": n["diagnostic"]["diagnosisClass"]["origin"],
                "clinical_status": n["diagnostic"]["diagnosisClass"]["status"],
                "verification_stage": n["diagnostic"]["verificationStage"],
                "image_quality_score": n["service"]["imageQualityScore"],
            })
        if not page["pageInfo"]["hasNextPage"]:
            assert len(rows) == page["totalCount"]
            return rows
        after = page["pageInfo"]["endCursor"]


if __name__ == "__main__":
    rows = fetch_rows({"verificationStageAtLeast": "CONSENSUS"})
    try:
        import pandas as pd

        df = pd.DataFrame(rows)
        print(df.groupby("diagnosis_class").size().sort_values(ascending=False).to_string())
        print(f"{len(df)} images from {df['patient'].nunique()} patients")
    except ImportError:
        counts = {}
        for r in rows:
            counts[r["diagnosis_class"]] = counts.get(r["diagnosis_class"], 0) + 1
        for cls, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            print(f"{cls} {n}")
        print(f"{len(rows)} images from {len({r['patient'] for r in rows})} patients")
