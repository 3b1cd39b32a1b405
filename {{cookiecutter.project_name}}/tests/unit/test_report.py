"""The validation report: one self-contained HTML page per version, from a Jinja2 template.
Its evidence here is made by the real functions (bootstrap, cohorts, gate, importance, figures)
on this test's own synthetic holdout, not the example's; a headless browser renders it."""

from __future__ import annotations

import base64
import io
import re
from html import unescape
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from {{ cookiecutter.package_name }}.cohorts import evaluate
from {{ cookiecutter.package_name }}.config import GateSettings
from {{ cookiecutter.package_name }}.declarations import CohortSettings, CohortSlice
from {{ cookiecutter.package_name }}.evaluation import (
    calibration,
    calibration_figure,
    metrics,
    pr_overlay,
    roc_overlay,
)
from {{ cookiecutter.package_name }}.gate import Rule, decide
from {{ cookiecutter.package_name }}.importance import (
    Importance,
    importance_figure,
    permutation_importance,
)
from {{ cookiecutter.package_name }}.report import SECTIONS, Evidence, png, render
from {{ cookiecutter.package_name }}.uncertainty import compare

from conftest import rendered

BOUNDS = {"level": 0.9, "resamples": 200, "seed": 0}


class Page(HTMLParser):
    """The sections (id and heading), images and external references of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, str] = {}
        self.images: list[dict[str, str]] = []
        self.external: list[str] = []
        self._section: str | None = None
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "section":
            self._section = attributes.get("id")
            self.sections[self._section] = ""
        elif tag == "h2" and self._section:
            self._in_heading = True
        elif tag == "img":
            self.images.append(attributes)
        for key in ("src", "href"):
            value = attributes.get(key) or ""
            if value and not value.startswith(("data:", "#")):
                self.external.append(value)
        if tag in ("link", "script", "iframe"):
            self.external.append(tag)

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_heading = False

    def handle_data(self, data):
        if self._in_heading and self._section:
            self.sections[self._section] += data


def holdout(n: int = 3_000, seed: int = 1) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Labels, two models' scores (the challenger sharper) and a region per row."""
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.2).astype(int)
    scores = {
        "challenger": 1 / (1 + np.exp(-(1.6 * label + rng.normal(0, 1, n) - 1.5))),
        "champion": 1 / (1 + np.exp(-(1.0 * label + rng.normal(0, 1, n) - 1.5))),
    }
    region = rng.choice(["north", "south"], size=n).astype(object)
    region[:40] = "islands"  # too small to judge
    frame = pd.DataFrame({"label": label, "region": region})
    for role, score in scores.items():
        frame[f"score_{role}"] = score
    return frame, scores


def training_record() -> tuple[dict, bytes]:
    """What a training run holds, made as training makes it: importance of a real model."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    x = pd.DataFrame({"signal": rng.normal(size=800), "noise": rng.normal(size=800)})
    y = (x["signal"] + rng.normal(0, 0.5, 800) > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(x, y)
    found = permutation_importance(lambda f: model.predict_proba(f)[:, 1], x, y, repeats=5, seed=0)
    importance = Importance(found, None)
    record = {
        "params": {"estimator": "logistic", "max_evals": "3", "best.C": "0.5", "rows.train": "800"},
        "metrics": {"best_val_roc_auc": 0.81},
        "feature_list": {
            "groups": ["signals"],
            "features": [
                {"name": "signal", "type": "double", "group": "signals"},
                {"name": "noise", "type": "double", "group": "signals"},
            ],
        },
        "feature_importance": importance.as_dict(),
        "tuning": [
            {"number": i, "status": s, "params": {"C": c}, "seconds": 0.2, "val_roc_auc": a}
            for i, (s, c, a) in enumerate(
                [("ok", 0.5, 0.81), ("ok", 2.0, 0.79), ("fail", 9.0, 0.0)]
            )
        ],
    }
    return record, png(importance_figure(importance))


@pytest.fixture(scope="module")
def evidence() -> Evidence:
    frame, scores = holdout()
    label = frame["label"].to_numpy()
    comparison = compare("roc_auc", label, scores["challenger"], scores["champion"], **BOUNDS)
    settings = CohortSettings(min_rows=100, slices={"region": CohortSlice(column="region")})
    columns = {role: f"score_{role}" for role in scores}
    cohorts = evaluate(frame, columns, settings, "roc_auc", **BOUNDS)
    results = {role: metrics(label, s) for role, s in scores.items()}
    rule = Rule("roc_auc", 0.0, False, {"roc_auc": 0.6}, "lower_bound", {}, 0.05)
    decision = decide(results["challenger"], results["champion"], rule, comparison, cohorts)
    curves = {
        f"{role} v{v}": (label, scores[role]) for role, v in (("challenger", 2), ("champion", 1))
    }
    calibrations = {name: calibration(*curve) for name, curve in curves.items()}
    training, importance_png = training_record()
    gate = GateSettings().model_dump(mode="json")
    return Evidence(
        model="readmissions",
        version="2",
        champion="1",
        validate_run="run-of-validate",
        decision=decision,
        rule=gate,
        results=results,
        primary={"challenger": comparison.challenger, "champion": comparison.champion},
        comparison=comparison,
        cohorts=cohorts,
        calibrations=calibrations,
        positive_class="a readmission within 30 days <of discharge>",
        lineage={"challenger git_commit": "abc123", "challenger data_snapshot": "d1g3st"},
        training=training,
        figures={
            "roc": png(roc_overlay(curves, "ROC")),
            "precision_recall": png(pr_overlay(curves, "PR")),
            "calibration": png(calibration_figure(calibrations, "readmission", "Calibration")),
            "importance": importance_png,
        },
        created="2026-12-01 10:00 UTC",
    )


def parsed(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_the_report_has_every_section_and_only_inline_figures(evidence) -> None:
    html = render(evidence)
    page = parsed(html)
    assert list(page.sections) == [id for id, _ in SECTIONS]
    assert [page.sections[id].strip() for id, _ in SECTIONS] == [title for _, title in SECTIONS]
    assert page.external == []  # no file, script or font from elsewhere: it opens anywhere
    assert len(page.images) == 4
    for image in page.images:  # each a PNG that decodes
        data = base64.b64decode(image["src"].split(",", 1)[1])
        assert Image.open(io.BytesIO(data)).format == "PNG"


def test_the_report_states_the_decision_its_interval_and_each_cohort(evidence) -> None:
    html = render(evidence)
    text = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))
    assert evidence.decision.verdict in text
    for reason in evidence.decision.reasons:
        assert reason in text
    gain = evidence.comparison.gain
    assert f"{gain.value:.4f} [{gain.low:.4f}, {gain.high:.4f}]" in text
    for cohort in evidence.cohorts:
        assert cohort.name in text
    [small] = [c for c in evidence.cohorts if not c.judged]
    assert re.search(rf"{small.name} {small.rows} {small.positives} too small to judge", text)
    assert "2 succeeded" in text and "0.8100" in text  # tuning: the failed trial is counted
    assert "within noise" in text  # the noise feature of the importance table


def test_text_from_configuration_is_escaped_not_markup(evidence) -> None:
    html = render(evidence)
    assert "&lt;of discharge&gt;" in html and "<of discharge>" not in html


def test_a_version_trained_before_a_record_existed_still_gets_a_report(evidence) -> None:
    from dataclasses import replace

    older = replace(
        evidence,
        training={"params": {}, "metrics": {}},
        figures={k: v for k, v in evidence.figures.items() if k != "importance"},
        comparison=None,
        champion="none",
        primary={"challenger": evidence.primary["challenger"]},
        results={"challenger": evidence.results["challenger"]},
    )
    html = render(older)
    assert "recorded no feature_importance.json" in html
    assert "recorded no feature_list.json" in html
    assert "first model: floors only" in html
    assert list(parsed(html).sections) == [id for id, _ in SECTIONS]


def test_a_browser_renders_every_section_and_figure(evidence, browser, tmp_path) -> None:
    layout, shot = rendered(browser, render(evidence), tmp_path)
    assert [s["id"] for s in layout["sections"]] == [id for id, _ in SECTIONS]
    assert all(s["height"] > 40 for s in layout["sections"]), layout["sections"]
    assert len(layout["images"]) == 4
    assert all(i["complete"] and i["width"] > 100 for i in layout["images"]), layout["images"]
    picture = Image.open(shot).convert("L")
    assert picture.size == (1200, 3000)
    assert len(picture.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50  # not a blank page
