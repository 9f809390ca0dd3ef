"""A small client for a dermaset server: patient-grouped splits into rows or a pandas DataFrame.

Standard library only (urllib); pandas is used when installed and only by `split_frame`.

    from dermaset import Client
    ds = Client()  # DERMASET_URL (default http://127.0.0.1:4000) and DERMASET_TOKEN from the environment
    split = ds.create_split(fractions=(0.7, 0.15, 0.15), policy="three-tier", seed=42)
    train = ds.split_frame(split["id"], part="TRAIN")
"""
import csv
import io
import json
import os
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["Client", "DermasetError"]

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
          id sha256 url thumbnail: url(variant: THUMBNAIL)
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


class Client:
    def __init__(self, url=None, token=None, timeout=120):
        self.url = (url or os.environ.get("DERMASET_URL") or "http://127.0.0.1:4000").rstrip("/")
        self.token = token or os.environ.get("DERMASET_TOKEN")
        self.timeout = timeout

    def _headers(self):
        h = {"content-type": "application/json", "accept": "application/graphql-response+json, application/json"}
        if self.token:
            h["authorization"] = f"Bearer {self.token}"
        return h

    def graphql(self, query, variables=None):
        """Runs one GraphQL operation; raises DermasetError on a GraphQL error."""
        req = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers=self._headers(),
        )
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
        req = urllib.request.Request(url, headers={"authorization": f"Bearer {self.token}"} if self.token else {})
        with urllib.request.urlopen(req, timeout=self.timeout) as res, open(path, "wb") as out:
            out.write(res.read())
        return path
