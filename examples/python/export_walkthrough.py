# %% [markdown]
# # Exports and images into a notebook, with the installed client
#
#     pip install './clients/python[pandas,parquet,datasets]'
#     DERMASET_URL=http://127.0.0.1:4000 DERMASET_TOKEN=dst_... python3 examples/python/export_walkthrough.py [folder]
#
# A patient-grouped split; its test part's images downloaded in parallel (a second run skips them);
# the split as a Hugging Face ImageFolder, loaded with `datasets` with every metadata column; the
# same split as Parquet, read with pyarrow (typed columns) and pandas. test/notebook.test.ts runs it.

# %%
import os
import sys
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq
import pandas as pd
from datasets import load_dataset

from dermaset import Client

out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="dermaset-")
ds = Client()

# %% [markdown]
# ## 1. A split, and its test part's images in parallel

# %%
split = ds.create_split(fractions=(0.7, 0.15, 0.15), policy="three-tier", seed=7, name="notebook")
test_part = next(p for p in split["parts"] if p["name"] == "test")
print(f"split {split['id']}: {split['imageCount']} images, test part {test_part['images']}")

images = os.path.join(out, "images", "test")
first = ds.download_images(split=split["id"], part="TEST", dest=images, workers=8)
print(f"first run: downloaded {first['downloaded']}, skipped {first['skipped']}")
again = ds.download_images(split=split["id"], part="TEST", dest=images, workers=8)
print(f"second run: downloaded {again['downloaded']}, skipped {again['skipped']}")
print("extensions:", ",".join(sorted({os.path.splitext(p)[1] for p in again["paths"]})))

# %% [markdown]
# ## 2. The split as an ImageFolder, loaded with Hugging Face datasets
# Each part's folder (train/, validation/, test/) has its own metadata.csv, so every column is kept.

# %%
folder = ds.export("imagefolder", os.path.join(out, "exports") + os.sep, split=split["id"])
hf = load_dataset("imagefolder", data_dir=folder)
print("imagefolder splits:", ", ".join(f"{name} {len(hf[name])}" for name in sorted(hf)))
print("imagefolder columns:", ",".join(hf["test"].column_names))
row = hf["test"][0]
print(f"first test row: {row['image'].size[0]}x{row['image'].size[1]} {row['diagnosis_class']} "
      f"{row['verification_stage']} {row['patient_id']}")

# %% [markdown]
# ## 3. The split as Parquet: typed columns with pyarrow, then pandas

# %%
path = ds.export("parquet", os.path.join(out, "exports") + os.sep, split=split["id"])
table = pq.read_table(path)
types = {f.name: f.type for f in table.schema}
print("parquet rows:", table.num_rows)
print("parquet types:", "; ".join(f"{name} {types[name]}" for name in
                                  ("dominant_colors", "dermoscopic_structures", "acquisition_date", "width",
                                   "sunburn_history", "image_url", "thumbnail_url")))
assert pa.types.is_list(types["dominant_colors"]) and pa.types.is_date32(types["acquisition_date"])
urls = table.column("image_url").to_pylist()
shas = table.column("sha256").to_pylist()
print("urls under the server:", all(u == f"{ds.url}/images/{s}/original" for u, s in zip(urls, shas)))
df = pd.read_parquet(path)
print(f"pandas: {len(df)} rows, splits {dict(sorted(df['split'].value_counts().items()))}")
print("pandas classes:", ", ".join(f"{k} {v}" for k, v in sorted(df["diagnosis_class"].value_counts().items())))
parquet_hf = load_dataset("parquet", data_files=path)["train"]
print(f"datasets parquet: {len(parquet_hf)} rows, dominant_colors {parquet_hf.features['dominant_colors']}")
