# %% [markdown]
# # Exports and images into a notebook, with the installed client
#
#     pip install './clients/python[pandas,parquet,datasets,evaluate]'
#     DERMASET_URL=http://127.0.0.1:4000 DERMASET_TOKEN=dst_... python3 examples/python/export_walkthrough.py [folder]
#
# A patient-grouped split; its test part's images downloaded in parallel (a second run skips them);
# the split as a Hugging Face ImageFolder, loaded with `datasets` with every metadata column; the
# same split as Parquet, read with pyarrow (typed columns) and pandas; then a baseline model trained on
# the train part's thumbnails, its predictions on the test part imported from a DataFrame and evaluated
# (patient bootstrap intervals), and compared with a second baseline. test/notebook.test.ts runs it.

# %%
import os
import sys
import tempfile

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pandas as pd
from datasets import load_dataset
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

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

# %% [markdown]
# ## 4. A baseline model: logistic regression on colour histograms of the thumbnails
# Trained on the split's train part to predict the policy's labels (three-tier: benign, borderline,
# malignant); lbfgs and a fixed split make it deterministic. A baseline to show the plumbing, not a
# classifier to trust.

# %%
def colour_histogram(path, bins=8):
    """The share of the thumbnail's pixels in each of `bins` intensity bins, per RGB channel."""
    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(np.int64)
    return np.concatenate([np.bincount(rgb[:, c] * bins // 256, minlength=bins) for c in range(3)]) / len(rgb)


def part_features(part):
    """The part's rows (image id order, labels under the split's policy) and their thumbnails' histograms."""
    rows = ds.split_rows(split["id"], part=part)
    files = ds.download_images(rows, dest=os.path.join(out, "thumbnails", part.lower()), variant="thumbnail")
    return pd.DataFrame(rows), np.stack([colour_histogram(p) for p in files["paths"]])


train, x_train = part_features("TRAIN")
test, x_test = part_features("TEST")
labelled = train["label"].notna().to_numpy()
classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, class_weight="balanced"))
classifier.fit(x_train[labelled], train["label"][labelled])
print(f"baseline trained on {labelled.sum()} thumbnails: classes {', '.join(classifier.classes_)}")

# %% [markdown]
# ## 5. The model registered, its test-part predictions imported from a DataFrame
# One row per image (named by SHA-256), one column per label of the model; a label the training part
# lacked scores 0. Importing the same rows again stores nothing: predictions are immutable.

# %%
model = ds.register_model("colour-histogram-baseline", f"1.0-{split['id'][:8]}", policy="three-tier",
                          training_notes=f"logistic regression on 8-bin RGB histograms of the thumbnails of "
                                         f"split {split['id']} (train part)")
print(f"model {model['id']}: {model['name']}@{model['version']}, labels {', '.join(model['labels'])}")


def predictions(clf, x):
    probabilities = clf.predict_proba(x)
    frame = pd.DataFrame({"image": test["sha256"]})
    for label in model["labels"]:
        known = list(clf.classes_)
        frame[label] = probabilities[:, known.index(label)] if label in known else 0.0
    return frame


frame = predictions(classifier, x_test)
first_import = ds.import_predictions(model, frame, progress=False)
print(f"import: received {first_import.received}, stored {first_import.stored}, "
      f"unchanged {first_import.unchanged}, refused {first_import.refused}")
second_import = ds.import_predictions(model, frame, progress=False)
print(f"re-import: stored {second_import.stored}, unchanged {second_import.unchanged}, "
      f"refused {second_import.refused}")

# %% [markdown]
# ## 6. The evaluation: malignant against the rest on the test part
# Every interval is a 95 % percentile bootstrap resampled by patient (images of one patient are not
# independent); ev.note says so. The same metrics per stratum, with N and the too-small strata marked.

# %%
ev = ds.evaluate(model, split=split["id"], split_part="test", positive=["malignant"], resamples=1000, seed=0)
print(f"evaluation: {ev.images} images, {ev.patients} patients, {ev.positives} positives, "
      f"threshold {ev.threshold:.4f}, missing predictions {ev.missing_predictions}, unlabelled {ev.unlabelled}")
print(f"note: {ev.note}")
c = ev.confusion.set_index("truth")
print(f"confusion: tp {c.loc['positive', 'predicted_positive']} fn {c.loc['positive', 'predicted_negative']} "
      f"fp {c.loc['negative', 'predicted_positive']} tn {c.loc['negative', 'predicted_negative']}")


def figure(x):
    return "n/a" if x is None or pd.isna(x) else f"{x:.4f}"


for r in ev.overall.itertuples():
    print(f"metric {r.metric}: {figure(r.value)} [{figure(r.lower)}, {figure(r.upper)}]")
strata = ev.strata
print(f"strata: {len(strata)} over {strata['dimension'].nunique()} dimensions, {int(strata['too_small'].sum())} too small")
histology = strata[(strata["dimension"] == "VERIFICATION_STAGE") & (strata["value"] == "HISTOLOGY")]
for r in histology.itertuples():
    print(f"histology-verified: {r.images} images, {r.patients} patients, auroc {figure(r.auroc)}")
print(f"reliability bins: {len(ev.reliability)}, roc points: {len(ev.roc)}, rater rows: {len(ev.raters)}")
worst = ev.errors(first=5)
print(f"largest losses: {', '.join(f'{s[:8]} {loss:.3f}' for s, loss in zip(worst['sha256'], worst['loss']))}")

# %% [markdown]
# ## 7. The report, saved; and a second baseline compared on the same images
# The saved evaluation has a stable id and a report at /evaluations/<id>.html. compare_models gives both
# AUROCs and their paired difference, resampling the same patients for both.

# %%
saved = ev.save()
print(f"saved evaluation {saved['id']}")
report = ev.report("markdown")
print(f"report: {len(report.splitlines())} lines, first: {report.splitlines()[0]}")

def mean_level(x):
    """Each channel's mean level (in bins of eighths) from the histograms: three numbers per image."""
    return x.reshape(len(x), 3, -1) @ np.arange(8) / 8


mean_colour = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, class_weight="balanced"))
mean_colour.fit(mean_level(x_train[labelled]), train["label"][labelled])
second = ds.register_model("mean-colour-baseline", model["version"], policy="three-tier",
                           training_notes="logistic regression on the mean RGB level of the thumbnails")
ds.import_predictions(second, predictions(mean_colour, mean_level(x_test)), progress=False)
comparison = ds.compare_models(model, second, split=split["id"], split_part="test", positive=["malignant"],
                               resamples=1000, seed=0)
for r in comparison.itertuples():
    print(f"comparison {r.estimate} {r.model}: {figure(r.value)} [{figure(r.lower)}, {figure(r.upper)}]")
print(f"comparison images {int(comparison['images'].iloc[0])}, patients {int(comparison['patients'].iloc[0])}")
