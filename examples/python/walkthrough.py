# %% [markdown]
# # Patient-grouped splits from a notebook
#
# Cells in the `# %%` format (VS Code, Jupytext, Spyder). Run as a script:
#
#     DERMASET_URL=http://127.0.0.1:4000 DERMASET_TOKEN=dst_... python3 examples/python/walkthrough.py
#
# Standard library only; with pandas installed the rows become a DataFrame.

# %%
import os
import pathlib
import sys
import tempfile

try:  # the installed client (pip install ./clients/python), else its source in this repository
    from dermaset import Client, DermasetError
except ImportError:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "clients" / "python" / "src"))
    from dermaset import Client, DermasetError  # noqa: E402

ds = Client()

# %% [markdown]
# ## 1. Create a split on the server
# 70 / 15 / 15 by patient (a patient's images, lesions and near-duplicate clusters stay together),
# balanced by the three-tier label and by sex, seed 42. The split depends on the images' content and
# the seed only, so another server holding the same images gives the same manifest hash.

# %%
split = ds.create_split(fractions=(0.7, 0.15, 0.15), policy="three-tier", seed=42, stratify_by=["SEX"],
                        name="walkthrough")
print(f"split {split['id']}: {split['imageCount']} images from {split['patientCount']} patients "
      f"under {split['policyId']} {split['policyVersion']}")
print(f"manifest sha256 {split['manifestHash']}")
for p in split["parts"]:
    labels = ", ".join(f"{x['label']} {x['count']}" for x in p["labels"])
    print(f"  {p['name']:<10} {p['images']:>5} images {p['patients']:>4} patients  "
          f"largest label-share gap {p['deviation']:.3f}  ({labels})")
c = split["certificate"]
print(f"leak certificate: clean={c['clean']} ({c['patients']} patients, {c['lesions']} lesions, "
      f"{c['nearDuplicateClusters']} near-duplicate clusters checked)")
u = split["largestUnit"]
print(f"largest unit: {u['kind']} of {u['images']} images ({u['share']:.1%} of the split), in {u['part']}")

# %% [markdown]
# ## 2. Fetch it: one row per image with its URL, label and part

# %%
rows = ds.split_rows(split["id"])
try:
    import pandas as pd

    df = ds.split_frame(split["id"])
    print(f"pandas {pd.__version__}: DataFrame {df.shape[0]} rows x {df.shape[1]} columns")
    print(df.groupby(["part", "label"]).size().unstack(fill_value=0).to_string())
    most_parts = int(df.groupby("patient")["part"].nunique().max())
except ImportError:
    print(f"pandas not installed: {len(rows)} rows as dicts")
    parts_of = {}
    for r in rows:
        parts_of.setdefault(r["patient"], set()).add(r["part"])
    most_parts = max(len(p) for p in parts_of.values())
print(f"rows {len(rows)}; parts per patient at most {most_parts}")

# %% [markdown]
# ## 3. One part only

# %%
test = ds.split_rows(split["id"], part="TEST")
print(f"test part: {len(test)} images from {len({r['patient'] for r in test})} patients")

# %% [markdown]
# ## 3b. Or the whole manifest in one request (CSV), e.g. for `pandas.read_csv`

# %%
manifest = ds.manifest_rows(split["id"])
same = sorted((m["sha256"], m["part"], m["label"]) for m in manifest) == sorted(
    (r["sha256"], r["part"], r["label"]) for r in rows)
print(f"manifest.csv: {len(manifest)} lines, same images, parts and labels as the pages: {same}")

# %% [markdown]
# ## 4. Audit any split
# The server's manifest is clean. Move one image of a patient with several images to another part
# and the audit names the patient (and the lesion, if it was imaged twice).

# %%
audit = ds.audit_split([(r["sha256"], r["part"]) for r in rows])
print(f"audit of the manifest: clean={audit['clean']}")
by_patient = {}
for r in rows:
    by_patient.setdefault(r["patient"], []).append(r)
victim = next(images[0] for images in by_patient.values() if len(images) > 1)
moved = "test" if victim["part"] != "test" else "train"
leaky = [(r["sha256"], moved if r["sha256"] == victim["sha256"] else r["part"]) for r in rows]
audit = ds.audit_split(leaky)
kinds = sorted({leak["kind"] for leak in audit["leaks"]})
print(f"audit after moving one image: clean={audit['clean']}, leaks: {', '.join(kinds)}")

# %% [markdown]
# ## 5. Reproducible: the same seed gives the same manifest

# %%
again = ds.create_split(fractions={"train": 0.7, "validation": 0.15, "test": 0.15}, policy="three-tier", seed=42,
                        stratify_by=["SEX"])
print(f"same seed, same manifest: {again['manifestHash'] == split['manifestHash']}")

# %% [markdown]
# ## 6. Refusals are typed

# %%
try:
    ds.create_split(fractions=(0.7, 0.2, 0.2))
except DermasetError as e:
    print(f"refused: {e}")

# %% [markdown]
# ## 6b. A unit too large for the fractions is refused, by name
# The patient with the most images and two patients with one image each: wherever the big patient
# goes, its part misses its target by more than 5 % of the images. The refusal names the patient;
# `allow_oversized_units=True` stores the split anyway and reports the unit.

# %%
big = max(by_patient.values(), key=len)
singles = [images for images in by_patient.values() if len(images) == 1][:2]
few = {"patientCode": [big[0]["patient"]] + [images[0]["patient"] for images in singles]}
try:
    ds.create_split(fractions=(0.7, 0.15, 0.15), policy="three-tier", filter=few)
except DermasetError as e:
    print(f"refused: {e}")
lopsided = ds.create_split(fractions=(0.7, 0.15, 0.15), policy="three-tier", filter=few, allow_oversized_units=True)
o = lopsided["oversizedUnit"]
print(f"stored with allow_oversized_units: oversized unit {o['kind']} of {o['images']} images, parts "
      + "/".join(str(p["images"]) for p in lopsided["parts"]))

# %% [markdown]
# ## 7. Images: download a thumbnail

# %%
path = ds.download(test[0]["thumbnail"], os.path.join(tempfile.mkdtemp(), "thumb.webp"))
with open(path, "rb") as f:
    head = f.read(12)
print(f"thumbnail {os.path.getsize(path)} bytes, {'webp' if head[:4] == b'RIFF' and head[8:] == b'WEBP' else 'unknown'}")
