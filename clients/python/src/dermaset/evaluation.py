"""Models, predictions and evaluations: the GraphQL documents, the inputs the client builds, and the
results as tables (pandas DataFrames when pandas is installed, else lists of dicts with the same columns).

Standard library only; the Client in dermaset.client calls into this module.
"""
import dataclasses
import math

__all__ = ["Evaluation", "ImportReport", "MAX_BATCH", "METRICS", "table"]

MAX_BATCH = 1000
"""The most predictions one importPredictions call takes (the server's bound)."""

METRICS = ("sensitivity", "specificity", "ppv", "npv", "balancedAccuracy", "auroc", "auprc", "ece")
"""The metrics of a MetricSet, in the order the tables list them (GraphQL names)."""

_SNAKE = {"balancedAccuracy": "balanced_accuracy"}

_MODEL_FIELDS = "id name version labels trainingNotes predictionCount createdAt policy { id version }"
REGISTER_MODEL = (
    "mutation RegisterModel($input: RegisterModelInput!) { registerModel(input: $input) { %s } }" % _MODEL_FIELDS
)
MODEL = "query Model($name: String!, $version: String!) { model(name: $name, version: $version) { %s } }" % _MODEL_FIELDS
MODEL_NODE = "query ModelNode($id: ID!) { node(id: $id) { __typename ... on Model { %s } } }" % _MODEL_FIELDS
MODELS = ("query Models($first: Int, $after: String) { models(first: $first, after: $after) { totalCount "
          "pageInfo { hasNextPage endCursor } edges { node { %s } } } }" % _MODEL_FIELDS)
IMPORT_PREDICTIONS = """
mutation ImportPredictions($model: ID!, $predictions: [PredictionInput!]!) {
  importPredictions(model: $model, predictions: $predictions) {
    received stored unchanged refused
    refusals { row image code message }
  }
}
"""

_ESTIMATE = "{ value lower upper }"
_METRIC_SET = ("images patients positives negatives confusion { tp fp tn fn } "
               + " ".join(f"{m} {_ESTIMATE}" for m in METRICS))
_BOOTSTRAP = "bootstrap { unit resamples seed level note }"
_RESULT = """
  input {
    model { name version } subset subsetInput policy policyVersion positive threshold
    operatingPointSensitivity bins minStratumPatients
  }
  %s
  missingPredictions unlabelled
  overall { %s }
  reliability { lower upper count meanScore positiveRate }
  roc { fpr tpr threshold }
  strata { dimension value tooSmall %s }
  raters { kind rater images kappa agreement }
  expertDisagreement {
    unanimous { images modelAgreesWithConsensus kappa }
    split { images modelAgreesWithConsensus kappa }
  }
""" % (_BOOTSTRAP, _METRIC_SET, _METRIC_SET)
EVALUATION = "query Evaluation($input: EvaluationInput!) { evaluation(input: $input) { %s } }" % _RESULT
REPORT = "query EvaluationReport($input: EvaluationInput!, $format: ReportFormat) " \
         "{ evaluation(input: $input) { report(format: $format) } }"
ERRORS = """
query EvaluationErrors($input: EvaluationInput!, $first: Int, $after: String, $filter: ImageFilter) {
  evaluation(input: $input) {
    errors(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { image { id sha256 } score positive label loss } }
    }
  }
}
"""
SAVE = """
mutation SaveEvaluation($input: EvaluationInput!, $expiresIn: Int) {
  saveEvaluation(input: $input) { id createdAt reportUrl(expiresIn: $expiresIn) }
}
"""
COMPARE = """
query ModelComparison($input: ModelComparisonInput!) {
  modelComparison(input: $input) {
    images patients
    aurocA %s aurocB %s difference %s
    %s
  }
}
""" % (_ESTIMATE, _ESTIMATE, _ESTIMATE, _BOOTSTRAP)

ERRORS_PAGE = 200
"""The most error rows one request asks for (the server's page bound)."""

_PARTS = {"train": "TRAIN", "validation": "VALIDATION", "test": "TEST"}


def table(rows, columns=None):
    """Rows (dicts) as a pandas DataFrame with these columns in this order when pandas is installed,
    else the list of dicts itself (the standard-library core needs no pandas)."""
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows, columns=columns)


def snake(name):
    """A GraphQL field name as the tables' column name (balancedAccuracy -> balanced_accuracy)."""
    return _SNAKE.get(name) or "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def subset_input(split=None, split_part=None, fold=None, release=None, collection=None, filter=None):
    """EvaluationSubsetInput from the keyword arguments: exactly one of split (a split id, or the dict
    create_split returns; split_part= "train" / "validation" / "test" and fold= narrow it), release (an id),
    collection (a slug) and filter (an ImageFilter dict)."""
    if isinstance(split, dict):
        split = split.get("id")
    named = [k for k, v in (("split", split), ("release", release), ("collection", collection), ("filter", filter))
             if v is not None]
    if (split_part is not None or fold is not None) and split is None:
        raise ValueError("split_part and fold need split=<split id> (the split the part belongs to)")
    if len(named) != 1:
        raise ValueError("name exactly one subset: split=<id> (with split_part=), release=<id>, collection=<slug> "
                         f"or filter={{...}}; got {', '.join(named) or 'none'}")
    if split is not None:
        selection = {"id": split}
        if split_part is not None:
            part = _PARTS.get(str(split_part).lower())
            if part is None:
                raise ValueError(f"split_part must be one of train, validation, test; got {split_part!r}")
            selection["part"] = part
        if fold is not None:
            selection["fold"] = fold
        return {"split": selection}
    if release is not None:
        return {"release": release}
    if collection is not None:
        return {"collection": collection}
    return {"filter": filter}


def evaluation_input(model_id, subset, positive, policy=None, threshold=None, sensitivity=None, resamples=1000,
                     seed=0, bins=10, min_stratum_patients=10):
    """EvaluationInput: threshold and sensitivity (an operating point) are exclusive; neither = threshold 0.5."""
    if isinstance(positive, str):
        positive = [positive]
    positive = list(positive or [])
    if not positive:
        raise ValueError("positive: name the labels that count as positive (e.g. positive=['malignant'])")
    if threshold is not None and sensitivity is not None:
        raise ValueError("give threshold or sensitivity (an operating point), not both")
    value = {"model": model_id, "subset": subset, "positive": positive, "resamples": resamples, "seed": seed,
             "bins": bins, "minStratumPatients": min_stratum_patients}
    if policy is not None:
        value["policy"] = policy
    if threshold is not None:
        value["threshold"] = float(threshold)
    if sensitivity is not None:
        value["operatingPoint"] = {"sensitivity": float(sensitivity)}
    return value


def _estimate_columns(name, estimate):
    return {name: estimate["value"], f"{name}_lower": estimate["lower"], f"{name}_upper": estimate["upper"]}


def _metric_rows(metric_set):
    return [{"metric": snake(m), "value": metric_set[m]["value"], "lower": metric_set[m]["lower"],
             "upper": metric_set[m]["upper"]} for m in METRICS]


def _confusion_rows(c):
    return [{"truth": "positive", "predicted_positive": c["tp"], "predicted_negative": c["fn"]},
            {"truth": "negative", "predicted_positive": c["fp"], "predicted_negative": c["tn"]}]


_STRATUM_COLUMNS = (["dimension", "value", "images", "patients", "positives", "negatives", "too_small",
                     "tp", "fp", "tn", "fn"]
                    + [c for m in METRICS for c in (snake(m), f"{snake(m)}_lower", f"{snake(m)}_upper")])


def _stratum_row(s):
    row = {"dimension": s["dimension"], "value": s["value"], "images": s["images"], "patients": s["patients"],
           "positives": s["positives"], "negatives": s["negatives"], "too_small": s["tooSmall"], **s["confusion"]}
    for m in METRICS:
        row.update(_estimate_columns(snake(m), s[m]))
    return row


@dataclasses.dataclass(repr=False)
class Evaluation:
    """One model evaluated on one subset (Client.evaluate). Tables (DataFrames with pandas, else lists of dicts):
    overall (metric, value, lower, upper), confusion (truth x predicted), strata (dimension, value, images,
    patients, positives, negatives, too_small, tp fp tn fn, each metric with _lower/_upper), reliability
    (lower, upper, count, mean_score, positive_rate), roc (fpr, tpr, threshold), raters (kind, rater, images,
    kappa, agreement), expert_disagreement (reviewers, images, model_agrees_with_consensus, kappa).
    note: the sentence saying how the intervals were made (95 % percentile bootstrap resampled by patient).
    result: the server's EvaluationResult as it came. report(format) and save() ask the server again with the
    same input, errors(first) lists the images with the largest loss."""

    overall: object
    confusion: object
    strata: object
    reliability: object
    roc: object
    raters: object
    expert_disagreement: object
    note: str
    threshold: float
    images: int
    patients: int
    positives: int
    negatives: int
    missing_predictions: int
    unlabelled: int
    result: dict
    input: dict
    _client: object = dataclasses.field(default=None, compare=False)
    saved: dict = None

    @classmethod
    def from_result(cls, client, evaluation_input, result):
        overall = result["overall"]
        disagreement = result["expertDisagreement"]
        return cls(
            overall=table(_metric_rows(overall), ["metric", "value", "lower", "upper"]),
            confusion=table(_confusion_rows(overall["confusion"]), ["truth", "predicted_positive",
                                                                     "predicted_negative"]),
            strata=table([_stratum_row(s) for s in result["strata"]], _STRATUM_COLUMNS),
            reliability=table([{"lower": r["lower"], "upper": r["upper"], "count": r["count"],
                                "mean_score": r["meanScore"], "positive_rate": r["positiveRate"]}
                               for r in result["reliability"]],
                              ["lower", "upper", "count", "mean_score", "positive_rate"]),
            roc=table([dict(p) for p in result["roc"]], ["fpr", "tpr", "threshold"]),
            raters=table([dict(r) for r in result["raters"]], ["kind", "rater", "images", "kappa", "agreement"]),
            expert_disagreement=table(
                [{"reviewers": k, "images": disagreement[k]["images"],
                  "model_agrees_with_consensus": disagreement[k]["modelAgreesWithConsensus"],
                  "kappa": disagreement[k]["kappa"]} for k in ("unanimous", "split")],
                ["reviewers", "images", "model_agrees_with_consensus", "kappa"]),
            note=result["bootstrap"]["note"],
            threshold=result["input"]["threshold"],
            images=overall["images"],
            patients=overall["patients"],
            positives=overall["positives"],
            negatives=overall["negatives"],
            missing_predictions=result["missingPredictions"],
            unlabelled=result["unlabelled"],
            result=result,
            input=evaluation_input,
            _client=client,
        )

    def metric(self, name):
        """(value, lower, upper) of one overall metric: "auroc", "sensitivity", "balanced_accuracy", ..."""
        for m in METRICS:
            if name in (m, snake(m)):
                e = self.result["overall"][m]
                return e["value"], e["lower"], e["upper"]
        raise KeyError(f"no metric {name!r}; known: {', '.join(snake(m) for m in METRICS)}")

    def report(self, format="markdown"):
        """The evaluation report as Markdown or HTML text (with its ROC and reliability figures)."""
        fmt = str(format).upper()
        if fmt not in ("MARKDOWN", "HTML"):
            raise ValueError('format must be "markdown" or "html"')
        return self._client.graphql(REPORT, {"input": self.input, "format": fmt})["evaluation"]["report"]

    def save(self, expires_in=None):
        """Saves the evaluation on the server (saving the same evaluation twice gives the same id); returns
        {id, createdAt, reportUrl} — reportUrl opens /evaluations/<id>.html without a header until it expires."""
        variables = {"input": self.input}
        if expires_in is not None:
            variables["expiresIn"] = expires_in
        self.saved = self._client.graphql(SAVE, variables)["saveEvaluation"]
        return self.saved

    def errors(self, first=20, filter=None):
        """The `first` images with the largest loss (binary cross-entropy of the positive score): image_id,
        sha256, label, positive, score, loss. filter: an ImageFilter dict narrowing them (like `images`)."""
        rows, after = [], None
        # the losses need no intervals: the server evaluates again without resampling
        quick = {**self.input, "resamples": 0}
        while len(rows) < first:
            page = self._client.graphql(ERRORS, {"input": quick, "first": min(ERRORS_PAGE, first - len(rows)),
                                                 "after": after, "filter": filter})["evaluation"]["errors"]
            for edge in page["edges"]:
                n = edge["node"]
                rows.append({"image_id": n["image"]["id"], "sha256": n["image"]["sha256"], "label": n["label"],
                             "positive": n["positive"], "score": n["score"], "loss": n["loss"]})
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        return table(rows, ["image_id", "sha256", "label", "positive", "score", "loss"])

    def __repr__(self):
        model = self.result["input"]["model"]
        auroc = self.result["overall"]["auroc"]["value"]
        return (f"<Evaluation {model['name']}@{model['version']} on {self.result['input']['subset']}: "
                f"{self.images} images, {self.patients} patients, AUROC {_fmt(auroc)}>")


def comparison_table(result, a_name, b_name):
    """modelComparison as rows: the two AUROCs and their paired difference (B - A, as the server gives it),
    each with its interval."""
    rows = [{"estimate": "auroc", "model": a_name, **_interval(result["aurocA"])},
            {"estimate": "auroc", "model": b_name, **_interval(result["aurocB"])},
            {"estimate": "difference", "model": f"{b_name} - {a_name}", **_interval(result["difference"])}]
    for row in rows:
        row.update(images=result["images"], patients=result["patients"])
    frame = table(rows, ["estimate", "model", "value", "lower", "upper", "images", "patients"])
    if hasattr(frame, "attrs"):
        frame.attrs["note"] = result["bootstrap"]["note"]
    return frame


def _interval(e):
    return {"value": e["value"], "lower": e["lower"], "upper": e["upper"]}


def _fmt(x):
    return "n/a" if x is None else f"{x:.3f}"


@dataclasses.dataclass
class ImportReport:
    """The sum of an import's batches. refusals: row (0-based position in the frame or list), index (the
    DataFrame's index label; the row number for a list), image, code, message — a DataFrame with pandas."""

    received: int = 0
    stored: int = 0
    unchanged: int = 0
    refused: int = 0
    batches: int = 0
    refusals: object = dataclasses.field(default_factory=list)


def finite_probability(value):
    """The score as a float when it is a finite number, else None (NaN, inf, missing, not a number)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None
