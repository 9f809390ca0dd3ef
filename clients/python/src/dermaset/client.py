"""A client for a dermaset server: patient-grouped splits, exports with progress, parallel image
downloads, rows or pandas DataFrames.

Standard library only (urllib, threads); pandas is used when installed (the *_frame helpers).

    from dermaset import Client
    ds = Client()  # DERMASET_URL (default http://127.0.0.1:4000) and DERMASET_TOKEN from the environment
    split = ds.create_split(fractions=(0.7, 0.15, 0.15), policy="three-tier", seed=42)
    ds.download_images(split=split["id"], part="TEST", dest="images/test")
    folder = ds.export("imagefolder", "exports/", split=split["id"])
"""
import concurrent.futures
import csv
import hashlib
import io
import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from . import evaluation as _ev

__all__ = ["Client", "DermasetError", "ConfigurationError", "DEFAULT_URL", "MAX_WORKERS"]

DEFAULT_URL = "http://127.0.0.1:4000"
"""The server's default address (dermaset serve listens on port 4000 unless PORT says otherwise)."""

MAX_WORKERS = 32
"""The most parallel downloads download_images runs."""

_MAX_FILES = 32
"""The most files one multipart request carries (the server's bound)."""

_EXTENSIONS = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "webp": "webp", "tiff": "tif", "gif": "gif"}
_CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/tiff": "tif"}

_SPLIT_FIELDS = """
  id name policyId policyVersion seed folds stratifyBy partNames imageCount patientCount excluded kept moved
  manifestHash createdAt
  fractions { train validation test }
  parts { name part fold images patients deviation labels { label count share } }
  largestUnit { kind key images patients share part }
  oversizedUnit { kind key images patients share part }
  certificate { clean patients lesions nearDuplicateClusters nearDuplicatePairs leaks { kind group parts images } }
"""

_CREATE = "mutation CreateSplit($input: CreateSplitInput!) { createSplit(input: $input) { %s } }" % _SPLIT_FIELDS
_SPLIT = "query Split($id: String!) { split(id: $id) { %s } }" % _SPLIT_FIELDS
_PAGE = """
query SplitPage($id: String!, $policy: String!, $part: SplitPart, $fold: Int, $after: String) {
  split(id: $id) {
    images(part: $part, fold: $fold, first: 200, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        part
        node {
          id sha256 format byteSize url thumbnail: url(variant: THUMBNAIL)
          patient { code } lesion { code }
          demographic { ageAtExam sex fitzpatrickType }
          morphological { anatomicalSite }
          diagnostic { diagnosisClass { code origin status } verificationStage }
          label(policy: $policy) { label }
        }
      }
    }
  }
}
"""
_AUDIT = """
query Audit($assignments: [SplitAssignmentInput!]!) {
  auditSplit(assignments: $assignments) {
    clean patients lesions nearDuplicateClusters nearDuplicatePairs unknown conflicting
    parts { name images patients }
    leaks { kind group parts images }
  }
}
"""


class DermasetError(RuntimeError):
    """A GraphQL error from the server; `code` is its extensions.code (e.g. BAD_USER_INPUT, FORBIDDEN)."""

    def __init__(self, errors):
        first = errors[0] if errors else {}
        self.code = (first.get("extensions") or {}).get("code")
        self.errors = errors
        super().__init__(f"{self.code}: {first.get('message', 'unknown error')}")


class ConfigurationError(RuntimeError):
    """The client is missing a setting it needs (the token)."""


class Client:
    """A dermaset server. `url` defaults to $DERMASET_URL, else DEFAULT_URL; `token` to $DERMASET_TOKEN.
    Without a token a ConfigurationError names the variable, unless anonymous=True (a server with public read)."""

    def __init__(self, url=None, token=None, timeout=120, anonymous=False):
        self.url = (url or os.environ.get("DERMASET_URL") or DEFAULT_URL).rstrip("/")
        self.token = token or os.environ.get("DERMASET_TOKEN") or None
        if not self.token and not anonymous:
            raise ConfigurationError(
                "no dermaset token: set the DERMASET_TOKEN environment variable to an API token "
                "(dst_..., made with `dermaset token create`), pass Client(token=...), "
                "or Client(anonymous=True) for a server with public read")
        self.timeout = timeout

    def _headers(self):
        h = {"content-type": "application/json", "accept": "application/graphql-response+json, application/json"}
        if self.token:
            h["authorization"] = f"Bearer {self.token}"
        return h

    def graphql(self, query, variables=None):
        """Runs one GraphQL operation; raises DermasetError on a GraphQL error."""
        return self._post_graphql(json.dumps({"query": query, "variables": variables or {}}, allow_nan=False,
                                             separators=(",", ":")).encode(),
                                  self._headers())

    def _post_graphql(self, data, headers):
        req = urllib.request.Request(f"{self.url}/graphql", data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                body = json.load(res)
        except urllib.error.HTTPError as e:  # graphql-response+json reports errors with 4xx statuses
            text = e.read().decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:  # not GraphQL's answer (a proxy's error page, say)
                raise DermasetError([{"message": f"HTTP {e.code}: {text[:200]}",
                                      "extensions": {"code": f"HTTP_{e.code}"}}]) from None
        if body.get("errors"):
            raise DermasetError(body["errors"])
        if "data" not in body:  # a refusal before GraphQL (413 REQUEST_ENTITY_TOO_LARGE, 403 CSRF_REFUSED)
            raise DermasetError([{"message": body.get("message") or body.get("error") or "no data",
                                  "extensions": {"code": body.get("code")}}])
        return body["data"]

    # ------------------------------------------------------------------ splits

    def create_split(self, fractions=None, folds=None, policy=None, seed=0, filter=None, stratify_by=None,
                     extend=None, name=None, allow_oversized_units=False):
        """Creates a stored split: fractions=(train, validation, test) or a dict with those keys, or folds=k.
        Returns its summary. A unit (a patient, or patients linked by near duplicates) so large that a part
        misses its target is refused (BAD_USER_INPUT, naming it) unless allow_oversized_units=True."""
        split_input = {"seed": seed}
        if fractions is not None:
            if isinstance(fractions, dict):
                fractions = (fractions.get("train", 0), fractions.get("validation", 0), fractions.get("test", 0))
            train, validation, test = (float(x) for x in fractions)
            split_input["fractions"] = {"train": train, "validation": validation, "test": test}
        if folds is not None:
            split_input["folds"] = folds
        for key, value in (("policy", policy), ("filter", filter), ("stratifyBy", stratify_by),
                           ("extend", extend), ("name", name)):
            if value is not None:
                split_input[key] = value
        if allow_oversized_units:
            split_input["allowOversizedUnits"] = True
        return self.graphql(_CREATE, {"input": split_input})["createSplit"]

    def split(self, split_id):
        """A stored split's summary: parts, counts, deviation, manifest hash, leak certificate (None if unknown)."""
        return self.graphql(_SPLIT, {"id": split_id})["split"]

    def split_rows(self, split_id, part=None, fold=None):
        """Every image of a split (or of one part / fold) as a list of flat dicts, in image id order."""
        head = self.graphql("query Head($id: String!) { split(id: $id) { policyId } }", {"id": split_id})["split"]
        if head is None:
            raise DermasetError([{"message": f"no split {split_id}", "extensions": {"code": "NOT_FOUND"}}])
        # labels are read under the split's own policy, whatever the active one is
        variables = {"id": split_id, "policy": head["policyId"], "part": part, "fold": fold}
        rows, after = [], None
        while True:
            page = self.graphql(_PAGE, {**variables, "after": after})["split"]["images"]
            for edge in page["edges"]:
                n = edge["node"]
                cls = n["diagnostic"]["diagnosisClass"]
                rows.append({
                    "image_id": n["id"],
                    "sha256": n["sha256"],
                    "format": n["format"],
                    "byte_size": n["byteSize"],
                    "url": n["url"],
                    "thumbnail": n["thumbnail"],
                    "part": edge["part"],
                    "label": n["label"]["label"],
                    "patient": n["patient"]["code"],
                    "lesion": n["lesion"]["code"],
                    "age_at_exam": n["demographic"]["ageAtExam"],
                    "sex": n["demographic"]["sex"],
                    "fitzpatrick_type": n["demographic"]["fitzpatrickType"],
                    "anatomical_site": n["morphological"]["anatomicalSite"],
                    "diagnosis_class": cls["code"],
                    "origin": cls["origin"],
                    "clinical_status": cls["status"],
                    "verification_stage": n["diagnostic"]["verificationStage"],
                })
            if not page["pageInfo"]["hasNextPage"]:
                if len(rows) != page["totalCount"]:
                    raise RuntimeError(f"read {len(rows)} rows of {page['totalCount']}")
                return rows
            after = page["pageInfo"]["endCursor"]

    def split_frame(self, split_id, part=None, fold=None):
        """split_rows as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("split_frame needs pandas; split_rows gives the same rows as dicts") from e
        return pd.DataFrame(self.split_rows(split_id, part=part, fold=fold))

    def _get(self, path):
        req = urllib.request.Request(f"{self.url}{path}",
                                     headers={"authorization": f"Bearer {self.token}"} if self.token else {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                return res.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = {"error": text[:200], "code": f"HTTP_{e.code}"}
            raise DermasetError([{"message": body.get("error"), "extensions": {"code": body.get("code")}}]) from None

    def _manifest_path(self, split_id, part, fold):
        query = urllib.parse.urlencode({k: v for k, v in (("part", part), ("fold", fold)) if v is not None})
        return f"/splits/{urllib.parse.quote(split_id)}/manifest.csv" + (f"?{query}" if query else "")

    def manifest_rows(self, split_id, part=None, fold=None):
        """A split's manifest in one request (GET /splits/<id>/manifest.csv): dicts with sha256, part,
        label, patient, lesion, diagnosis_class, verification_stage, url, thumbnail_url."""
        return list(csv.DictReader(io.StringIO(self._get(self._manifest_path(split_id, part, fold)))))

    def manifest_frame(self, split_id, part=None, fold=None):
        """manifest_rows as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("manifest_frame needs pandas; manifest_rows gives the same rows as dicts") from e
        return pd.read_csv(io.StringIO(self._get(self._manifest_path(split_id, part, fold))), dtype=str)

    def audit_split(self, assignments):
        """The overlap report of any split. `assignments`: (sha256, part) pairs, dicts with sha256/part (or
        image_id/part), or a DataFrame with those columns."""
        if hasattr(assignments, "to_dict"):
            assignments = assignments.to_dict("records")
        entries = []
        for a in assignments:
            if isinstance(a, (tuple, list)):
                entries.append({"sha256": a[0], "part": str(a[1])})
            elif isinstance(a.get("sha256"), str):  # a DataFrame's missing value is NaN, not a string
                entries.append({"sha256": a["sha256"], "part": str(a["part"])})
            elif isinstance(a.get("image_id"), str):
                entries.append({"image": a["image_id"], "part": str(a["part"])})
            else:
                raise ValueError(f"assignment {len(entries)} has neither a sha256 nor an image_id: {a!r}")
        return self.graphql(_AUDIT, {"assignments": entries})["auditSplit"]

    def download(self, url, path):
        """Saves an image URL (original or thumbnail) to a file, with the token."""
        self._fetch_to(url, path)
        return path

    def _fetch_to(self, url, path):
        """Streams a URL into `path` (through a .part file, renamed when complete); returns the response's
        content type. HTTP errors become DermasetError with the server's code."""
        req = urllib.request.Request(url, headers={"authorization": f"Bearer {self.token}"} if self.token else {})
        tmp = f"{path}.part"
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res, open(tmp, "wb") as out:
                shutil.copyfileobj(res, out, 1 << 20)
                content_type = (res.headers.get("content-type") or "").split(";")[0].strip()
        except urllib.error.HTTPError as e:
            if os.path.exists(tmp):
                os.remove(tmp)
            text = e.read().decode("utf-8", "replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = {"error": text[:200], "code": f"HTTP_{e.code}"}
            raise DermasetError([{"message": body.get("error") or body.get("message"),
                                  "extensions": {"code": body.get("code") or f"HTTP_{e.code}"}}]) from None
        os.replace(tmp, path)
        return content_type

    # ------------------------------------------------------------------ images

    def download_images(self, images=None, dest=".", split=None, part=None, fold=None, workers=8,
                        variant="original", progress=False):
        """Downloads images in parallel into `dest`, named <sha256>.<ext> with the extension of the image's
        stored format (jpeg -> .jpg, png -> .png; thumbnails are WebP). `images`: rows with sha256, format,
        byte_size and url (split_rows, manifest or export rows), or split=<id> (part=, fold=) to download a
        split's images. A file already there with the same size and SHA-256 is skipped (originals; a
        thumbnail already there is skipped). workers: 1 to MAX_WORKERS threads.
        Returns {"downloaded": n, "skipped": n, "paths": [...]} with paths in the order of `images`."""
        if not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
            raise ValueError(f"workers must be a whole number from 1 to {MAX_WORKERS}")
        if variant not in ("original", "thumbnail"):
            raise ValueError('variant must be "original" or "thumbnail"')
        if images is None:
            if split is None:
                raise ValueError("download_images needs images or split=<split id>")
            images = self.split_rows(split, part=part, fold=fold)
        elif hasattr(images, "to_dict"):
            images = images.to_dict("records")
        os.makedirs(dest, exist_ok=True)
        jobs = [self._image_job(row, dest, variant) for row in images]
        counts = {"downloaded": 0, "skipped": 0}

        def run(job):
            url, path, size, sha = job
            if _already_there(path, size, sha):
                return "skipped"
            self._fetch_to(url, path)
            if sha is not None and _sha256_of(path) != sha:
                os.remove(path)
                raise DermasetError([{"message": f"{url}: the bytes do not hash to {sha}",
                                      "extensions": {"code": "CHECKSUM_MISMATCH"}}])
            return "downloaded"

        done = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            for outcome in pool.map(run, jobs):
                counts[outcome] += 1
                done += 1
                if progress:
                    _progress_line(f"images {done}/{len(jobs)}", done, len(jobs))
        if progress and jobs:
            sys.stderr.write("\n")
        return {**counts, "paths": [j[1] for j in jobs]}

    def _image_job(self, row, dest, variant):
        sha = row.get("sha256")
        if not isinstance(sha, str):
            raise ValueError(f"an image row without a sha256: {row!r}")
        if variant == "thumbnail":
            url = row.get("thumbnail") or row.get("thumbnail_url") or f"{self.url}/images/{sha}/thumbnail"
            return url, os.path.join(dest, f"{sha}.webp"), None, None
        fmt = str(row.get("format") or "").lower()
        ext = _EXTENSIONS.get(fmt)
        if ext is None:
            raise ValueError(f"image {sha}: unknown stored format {fmt!r}; known: {', '.join(sorted(_EXTENSIONS))}")
        url = row.get("url") or row.get("image_url") or f"{self.url}/images/{sha}/original"
        size = row.get("byte_size")
        return url, os.path.join(dest, f"{sha}.{ext}"), int(size) if size is not None else None, sha

    # ------------------------------------------------------------------ exports

    def start_export(self, format, split=None, part=None, fold=None, filter=None, policy=None, profile=None,
                     options=None, release=None):
        """Starts an export on the server (formats: the `exporters` query; jsonl, parquet, imagefolder,
        isic-csv, isic-zip, croissant). split=<split id> limits it to a stored split (part="TEST" or fold=k
        to one part). Returns the export: {id, status, format}."""
        selection = None
        if split is not None:
            selection = {"id": split}
            if part is not None:
                selection["part"] = str(part).upper()
            if fold is not None:
                selection["fold"] = fold
        elif part is not None or fold is not None:
            raise ValueError("part and fold need split=<split id>")
        variables = {"format": format, "split": selection, "filter": filter, "policy": policy,
                     "profile": profile, "options": options, "release": release}
        return self.graphql(_START_EXPORT, variables)["startExport"]

    def export_status(self, export_id):
        """An export's state: status, progress {rowsDone rowsTotal fraction}, rowCount, sha256, downloadUrl."""
        data = self.graphql(_EXPORT, {"id": export_id})
        e = data["export"]
        extension = {x["id"]: x["extension"] for x in data["exporters"]}.get(e["format"], "bin")
        return {**e, "extension": extension}

    def exports(self, status=None, first=100, after=None):
        """Your exports (admins: everyone's), newest first, at most `first` (1-100); after=<export id> pages on."""
        return self.graphql(_EXPORTS, {"status": status, "first": first, "after": after})["exports"]

    def wait_export(self, export_id, progress=True, poll=0.5, timeout=None):
        """Polls an export until it is DONE (returns it) or FAILED (raises DermasetError with its error).
        progress=True draws a progress bar on stderr from progress.rowsDone / rowsTotal."""
        started = time.monotonic()
        while True:
            e = self.export_status(export_id)
            p = e.get("progress") or {}
            if progress and p.get("rowsTotal") is not None:
                _progress_line(f"export {export_id[:8]} {e['format']}: {p['rowsDone']}/{p['rowsTotal']} rows",
                               p["rowsDone"], p["rowsTotal"])
            if e["status"] == "DONE":
                if progress:
                    sys.stderr.write("\n")
                return e
            if e["status"] == "FAILED":
                if progress:
                    sys.stderr.write("\n")
                raise DermasetError([{"message": e.get("error") or "export failed",
                                      "extensions": {"code": "EXPORT_FAILED"}}])
            if timeout is not None and time.monotonic() - started > timeout:
                raise TimeoutError(f"export {export_id} still {e['status']} after {timeout} s")
            time.sleep(poll)

    def download_export(self, export, dest="."):
        """Downloads a finished export (an id or the dict wait_export returns) and checks its SHA-256.
        dest: a folder (the file is named <id>.<ext>) or a file path. Returns the file's path."""
        e = self.export_status(export) if isinstance(export, str) else export
        if e.get("status") != "DONE" or not e.get("downloadUrl"):
            raise DermasetError([{"message": f"export {e.get('id')} is {e.get('status')}, not DONE",
                                  "extensions": {"code": "EXPORT_NOT_DONE"}}])
        if os.path.isdir(dest) or dest.endswith(os.sep):
            os.makedirs(dest, exist_ok=True)
            dest = os.path.join(dest, f"{e['id']}.{e['extension']}")
        self._fetch_to(e["downloadUrl"], dest)
        if _sha256_of(dest) != e["sha256"]:
            raise DermasetError([{"message": f"{dest}: the download does not hash to {e['sha256']}",
                                  "extensions": {"code": "CHECKSUM_MISMATCH"}}])
        return dest

    @staticmethod
    def unpack(path, dest=None):
        """Unpacks a zip export into `dest` (default: the file's path without .zip); refuses entries that
        would land outside it. Returns the folder."""
        dest = dest or (path[:-4] if path.endswith(".zip") else f"{path}.d")
        root = os.path.realpath(dest)
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                target = os.path.realpath(os.path.join(root, name))
                if os.path.commonpath([root, target]) != root:
                    raise ValueError(f"{path}: entry {name!r} would be written outside {dest}")
            z.extractall(root)
        return dest

    def export(self, format, dest=".", unpack=True, progress=True, timeout=None, **kwargs):
        """start_export + wait_export + download_export (+ unpack for zip formats) in one call: returns the
        file's path, or the unpacked folder. kwargs: those of start_export (split, part, filter, policy, ...)."""
        started = self.start_export(format, **kwargs)
        done = self.wait_export(started["id"], progress=progress, timeout=timeout)
        path = self.download_export(done, dest)
        if unpack and path.endswith(".zip"):
            return self.unpack(path)
        return path

    def export_frame(self, dest=".", **kwargs):
        """A Parquet export read into a pandas DataFrame (needs the pandas and parquet extras)."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError("export_frame needs pandas and pyarrow: pip install 'dermaset[pandas,parquet]'") from e
        return pd.read_parquet(self.export("parquet", dest, **kwargs))

    @staticmethod
    def frame(rows):
        """Rows as a pandas DataFrame when pandas is installed, else the rows as they are."""
        try:
            import pandas as pd
        except ImportError:
            return rows
        return pd.DataFrame(rows)


    # ------------------------------------------------------------------ models and predictions

    def register_model(self, name, version, policy=None, training_notes=None):
        """Registers a model (you become its owner): name 1-100 characters, version 1-50, the policy whose labels
        it predicts (default: the active one), training_notes up to 10,000 characters. A name and version already
        registered is refused. Returns the model: {id, name, version, labels, policy, ...}."""
        model_input = {"name": name, "version": version}
        if policy is not None:
            model_input["policy"] = policy
        if training_notes is not None:
            model_input["trainingNotes"] = training_notes
        return self.graphql(_ev.REGISTER_MODEL, {"input": model_input})["registerModel"]

    def model(self, name, version=None):
        """A registered model by name and version (None if there is none); model("name@version") works too."""
        if version is None:
            name, _, version = str(name).rpartition("@")
            if not name:
                raise ValueError('model() needs a name and a version, or "name@version"')
        return self.graphql(_ev.MODEL, {"name": name, "version": version})["model"]

    def models(self):
        """Every registered model, as a list of dicts in the server's order (read 100 at a time)."""
        out, after = [], None
        while True:
            page = self.graphql(_ev.MODELS, {"first": 100, "after": after})["models"]
            out.extend(e["node"] for e in page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                return out
            after = page["pageInfo"]["endCursor"]

    def _model(self, model):
        """A model reference as the model's dict: the dict itself (with labels), a global id, "name@version" or
        a (name, version) pair."""
        if isinstance(model, dict) and "id" in model and "labels" in model:
            return model
        if isinstance(model, dict) and "id" in model:
            model = model["id"]
        if isinstance(model, (tuple, list)) and len(model) == 2:
            found = self.model(*model)
            label = "@".join(model)
        elif isinstance(model, str) and "@" in model:
            found = self.model(model)
            label = model
        elif isinstance(model, str):
            node = self.graphql(_ev.MODEL_NODE, {"id": model})["node"]
            found = node if node and node.get("__typename") == "Model" else None
            label = model
        else:
            raise ValueError(f"a model is its dict, its id, \"name@version\" or (name, version); got {model!r}")
        if found is None:
            raise DermasetError([{"message": f"no model {label}", "extensions": {"code": "NOT_FOUND"}}])
        return found

    def import_predictions(self, model, frame, image_column="image", saliency=None, batch_size=500, progress=True):
        """Stores a model's predictions from a pandas DataFrame or a list of dicts: one row per image, the image
        in `image_column` (its global id or its SHA-256), one column per label of the model holding its score
        (named as the model's labels, case-insensitive; other columns are ignored). The server refuses per row an
        unknown image, a missing label, scores that are not probabilities (outside [0, 1], or not summing to
        1 +- 0.01), an image twice in one batch, and a prediction different from one already stored; refused rows
        change nothing, and an identical re-import stores nothing (all `unchanged`). A score that is missing or
        not finite (NaN) is refused here, NOT_A_PROBABILITY, without being sent.
        saliency: a column name whose values are saliency maps (a PNG/JPEG path or bytes; empty for none), or a
        dict from the image value to one. A request carries at most 32 files (the server's bound), so a batch
        is sent when it holds 32 maps. batch_size: rows per request, 1 to 1000. progress: a bar on stderr.
        Returns an ImportReport: received, stored, unchanged, refused, batches and refusals (a DataFrame with
        pandas) whose `row` is the row's position in `frame` (`index` its DataFrame index label)."""
        if not isinstance(batch_size, int) or not 1 <= batch_size <= _ev.MAX_BATCH:
            raise ValueError(f"batch_size must be a whole number from 1 to {_ev.MAX_BATCH}")
        m = self._model(model)
        if hasattr(frame, "to_dict"):
            index = list(frame.index)
            rows = frame.to_dict("records")
        else:
            rows = list(frame)
            index = list(range(len(rows)))
        columns = list(dict.fromkeys(k for row in rows for k in row)) if rows else []
        if rows and image_column not in columns:
            raise ValueError(f"no column {image_column!r} naming the image (its id or SHA-256); columns: "
                             f"{', '.join(map(str, columns))}")
        by_lower = {}
        for c in columns:
            by_lower.setdefault(str(c).lower(), c)
        label_columns, missing = {}, []
        for label in m["labels"]:
            col = label if label in columns else by_lower.get(label.lower())
            if col is None:
                missing.append(label)
            label_columns[label] = col
        if rows and missing:
            raise ValueError(f"model {m['name']}@{m['version']} has labels without a column: {', '.join(missing)} "
                             f"(columns: {', '.join(map(str, columns))})")
        saliency_of = self._saliency_reader(saliency, columns, image_column) if rows else None

        report = _ev.ImportReport(received=len(rows))
        refusals = []
        batch = []  # (position, prediction, saliency or None)
        maps = 0  # saliency maps in the batch: a request carries at most _MAX_FILES files

        def send(items):
            predictions = [p for _, p, _ in items]
            files = {str(i): f for i, (_, _, f) in enumerate(items) if f is not None}
            variables = {"model": m["id"], "predictions": predictions}
            if files:
                answer = self._graphql_upload(_ev.IMPORT_PREDICTIONS, variables, {
                    k: f"variables.predictions.{k}.saliency" for k in files}, files)
            else:
                answer = self.graphql(_ev.IMPORT_PREDICTIONS, variables)
            r = answer["importPredictions"]
            report.stored += r["stored"]
            report.unchanged += r["unchanged"]
            report.refused += r["refused"]
            report.batches += 1
            for refusal in r["refusals"]:
                position = items[refusal["row"]][0]
                refusals.append({"row": position, "index": index[position], "image": refusal["image"],
                                 "code": refusal["code"], "message": refusal["message"]})
            if progress:
                last = items[-1][0] + 1
                _progress_line(f"predictions {last}/{len(rows)} rows", last, len(rows))

        for position, row in enumerate(rows):
            image = row.get(image_column)
            scores, bad, absent = [], [], []
            for label, col in label_columns.items():
                if col not in row:
                    absent.append(label)
                    continue
                score = _ev.finite_probability(row[col])
                if score is None:
                    bad.append(f"{label}={row[col]!r}")
                scores.append({"label": label, "score": score})
            if bad or absent:
                report.refused += 1
                refusals.append({"row": position, "index": index[position],
                                 "image": None if image is None else str(image),
                                 "code": "MISSING_LABEL" if absent else "NOT_A_PROBABILITY",
                                 "message": (f"no score for {', '.join(absent)}" if absent else
                                             f"scores that are not finite numbers: {', '.join(bad)}") + " (not sent)"})
                continue
            prediction = {"image": "" if image is None else str(image), "scores": scores}
            named = saliency_of(row) if saliency_of else None
            if named is not None:
                prediction["saliency"] = None
            batch.append((position, prediction, named))
            maps += named is not None
            if len(batch) == batch_size or maps == _MAX_FILES:
                send(batch)
                batch, maps = [], 0
        if batch:
            send(batch)
        if progress and rows:
            sys.stderr.write("\n")
        refusals.sort(key=lambda r: r["row"])
        report.refusals = _ev.table(refusals, ["row", "index", "image", "code", "message"])
        return report

    @staticmethod
    def _saliency_reader(saliency, columns, image_column):
        """A function from a row to its saliency map's (name, bytes), or None for no map."""
        if saliency is None:
            return None
        if isinstance(saliency, str):
            if saliency not in columns:
                raise ValueError(f"saliency={saliency!r} is not a column of the frame")

            def of(row):
                return _saliency_bytes(row[saliency])
        elif isinstance(saliency, dict):
            def of(row):
                return _saliency_bytes(saliency.get(row[image_column]))
        else:
            raise ValueError("saliency: a column name, or a dict from the image to a file path or bytes")
        return of

    def _graphql_upload(self, query, variables, paths, files):
        """One GraphQL operation with files (the GraphQL multipart request spec): paths maps each file's key to
        the variable it fills, files maps the key to (file name, bytes)."""
        boundary = f"dermaset-{os.urandom(12).hex()}"
        parts = [("operations", None, json.dumps({"query": query, "variables": variables}, allow_nan=False, separators=(",", ":")).encode()),
                 ("map", None, json.dumps({k: [v] for k, v in paths.items()}).encode())]
        parts += [(k, name, data) for k, (name, data) in files.items()]
        body = io.BytesIO()
        for field, filename, data in parts:
            body.write(f"--{boundary}\r\n".encode())
            if filename is None:
                body.write(f'content-disposition: form-data; name="{field}"\r\n\r\n'.encode())
            else:
                kind = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
                safe = filename.replace('"', "").replace("\r", "").replace("\n", "")
                body.write(f'content-disposition: form-data; name="{field}"; filename="{safe}"\r\n'
                           f"content-type: {kind}\r\n\r\n".encode())
            body.write(data)
            body.write(b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        headers = {**self._headers(), "content-type": f"multipart/form-data; boundary={boundary}"}
        return self._post_graphql(body.getvalue(), headers)

    # ------------------------------------------------------------------ evaluations

    def evaluate(self, model, split=None, split_part=None, fold=None, release=None, collection=None, filter=None,
                 positive=None, policy=None, threshold=None, sensitivity=None, resamples=1000, seed=0, bins=10,
                 min_stratum_patients=10):
        """Evaluates a model's stored predictions on one subset: split=<id> (split_part="test", fold=k),
        release=<id>, collection=<slug> or filter={...}. positive: the labels counting as positive (the score
        of an image is the sum of their scores). threshold (default 0.5) or sensitivity= (an operating point:
        the threshold reaching that sensitivity). resamples: 0-10,000 patient bootstrap resamples (0: no
        intervals), seed, bins (2-50, the reliability table), min_stratum_patients (smaller strata get no
        interval). Returns an Evaluation: overall, confusion, strata, reliability, roc, raters as DataFrames,
        .note, .report(format), .save(), .errors()."""
        m = self._model(model)
        subset = _ev.subset_input(split, split_part, fold, release, collection, filter)
        value = _ev.evaluation_input(m["id"], subset, positive, policy, threshold, sensitivity, resamples, seed,
                                     bins, min_stratum_patients)
        result = self.graphql(_ev.EVALUATION, {"input": value})["evaluation"]
        return _ev.Evaluation.from_result(self, value, result)

    def compare_models(self, a, b, split=None, split_part=None, fold=None, release=None, collection=None,
                       filter=None, positive=None, policy=None, resamples=1000, seed=0):
        """Two models on the same subset (the images both scored): each one's AUROC and the paired difference
        B - A, with patient bootstrap intervals from the same resamples. A table (DataFrame with pandas):
        estimate, model, value, lower, upper, images, patients; the bootstrap sentence in .attrs["note"]."""
        ma, mb = self._model(a), self._model(b)
        value = _ev.evaluation_input(None, _ev.subset_input(split, split_part, fold, release, collection, filter),
                                     positive, policy, resamples=resamples, seed=seed)
        comparison = {"models": [ma["id"], mb["id"]], "subset": value["subset"], "positive": value["positive"],
                      "resamples": resamples, "seed": seed}
        if policy is not None:
            comparison["policy"] = policy
        result = self.graphql(_ev.COMPARE, {"input": comparison})["modelComparison"]
        return _ev.comparison_table(result, f"{ma['name']}@{ma['version']}", f"{mb['name']}@{mb['version']}")

    def saved_evaluation(self, evaluation_id, expires_in=None):
        """A saved evaluation's id, createdAt and reportUrl (None if there is none)."""
        query = ("query Saved($id: ID!, $expiresIn: Int) { savedEvaluation(id: $id) "
                 "{ id createdAt reportUrl(expiresIn: $expiresIn) } }")
        return self.graphql(query, {"id": evaluation_id, "expiresIn": expires_in})["savedEvaluation"]

_EXPORT_FIELDS = """
  id format status rowCount byteSize sha256 error createdAt finishedAt downloadUrl manifestUrl
  progress { rowsDone rowsTotal fraction }
"""
_START_EXPORT = """
mutation Start($format: String!, $split: SplitSelection, $filter: ImageFilter, $policy: String,
               $profile: String, $options: JSONObject, $release: String) {
  startExport(format: $format, split: $split, filter: $filter, policy: $policy, profile: $profile,
              options: $options, release: $release) { id status format }
}
"""
_EXPORT = "query Export($id: String!) { export(id: $id) { %s } exporters { id extension } }" % _EXPORT_FIELDS
_EXPORTS = ("query Exports($status: ExportStatus, $first: Int, $after: String) "
            "{ exports(status: $status, first: $first, after: $after) { %s } }" % _EXPORT_FIELDS)


def _sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _already_there(path, size, sha):
    """A file already downloaded: same size and SHA-256 (a thumbnail, whose hash is not known: present)."""
    if not os.path.isfile(path):
        return False
    if sha is None:
        return os.path.getsize(path) > 0
    if size is not None and os.path.getsize(path) != size:
        return False
    return _sha256_of(path) == sha


def _progress_line(label, done, total, width=30):
    """One redrawn line on stderr: a bar, done/total and the percentage."""
    share = 1.0 if not total else min(1.0, done / total)
    filled = int(round(share * width))
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {share * 100:5.1f}%")
    sys.stderr.flush()


def _saliency_bytes(value):
    """A saliency map given as a path or bytes, as (file name, bytes); None, NaN or "" for no map."""
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (bytes, bytearray)):
        return "saliency.png", bytes(value)
    with open(os.fspath(value), "rb") as f:
        return os.path.basename(os.fspath(value)), f.read()
