"""A synthetic health plan, for running the whole pipeline with no real data.

Deterministic for a seed. Each member has demographics, an area deprivation index, eligibility
spans and chronic conditions with onset dates; a latent frailty, age, deprivation and active
conditions drive monthly rates of admissions, emergency visits, diagnoses and prescription
fills. The label is an unplanned admission within ``label_horizon_days`` after an as-of date, so
past use of care, conditions and age predict it, as they do in real claims. About 0.3 % of
events fall outside the member's eligibility, as claims run-out does, for validation to drop.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .config import SyntheticSource

# Chronic conditions: code, prevalence intercept (logit), age slope per year, admission weight.
CONDITIONS = (
    ("CHF", -4.6, 0.06, 0.9),
    ("COPD", -4.0, 0.04, 0.7),
    ("CKD", -4.2, 0.05, 0.5),
    ("DIAB", -2.8, 0.03, 0.3),
    ("HTN", -1.9, 0.05, 0.15),
    ("DEPR", -2.2, 0.0, 0.25),
    ("ASTHMA", -2.9, -0.01, 0.2),
)
TABLES = ("members", "eligibility", "events", "labels")  # what `generate` returns
DRUG_CLASSES = np.array(["ACE", "BETA_BLOCKER", "STATIN", "METFORMIN", "INHALER", "SSRI"])


def _dates(start: date, offsets: np.ndarray) -> np.ndarray:
    """Day offsets from ``start`` as datetime64 dates (ingest stores them as Spark dates)."""
    return np.datetime64(start, "D") + np.asarray(offsets).astype("timedelta64[D]")


def _month_starts(start: date, end: date) -> list[date]:
    months, current = [], date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _members(rng: np.random.Generator, n: int, start: date) -> tuple[pd.DataFrame, np.ndarray]:
    senior = rng.random(n) < 0.35
    age = np.where(senior, rng.integers(65, 95, n), rng.integers(18, 65, n))
    deprivation = rng.beta(2.0, 4.0, n)
    medicaid = ~senior & (rng.random(n) < 0.15 + 0.5 * deprivation)
    plan = np.where(senior, "medicare_advantage", np.where(medicaid, "medicaid", "commercial"))
    birth_offset = -(age * 365.25).astype(int) - rng.integers(0, 365, n)
    members = pd.DataFrame(
        {
            "member_id": [f"M{i:07d}" for i in range(n)],
            "birth_date": _dates(start, birth_offset),
            "sex": np.where(rng.random(n) < 0.52, "F", "M"),
            "plan_type": plan,
            "deprivation_index": deprivation.round(3),
            "rural": rng.random(n) < 0.2,
        }
    )
    return members, age


def _eligibility(rng: np.random.Generator, n: int, days: int) -> tuple[np.ndarray, ...]:
    """Per member: first span [s1, e1], optional second span [s2, e2] (day offsets), -1 if none."""
    s1 = np.where(rng.random(n) < 0.85, 0, rng.integers(0, int(days * 0.6), n))
    leaves = rng.random(n) < 0.12
    e1 = np.where(leaves, np.minimum(days - 1, s1 + rng.integers(120, days, n)), days - 1)
    gap = (rng.random(n) < 0.05) & (e1 - s1 > 240)
    s2 = np.where(gap, s1 + (e1 - s1) // 2 + rng.integers(30, 90, n), -1)
    e2 = np.where(gap, e1, -1)
    e1 = np.where(gap, s1 + (e1 - s1) // 2, e1)
    return s1, e1, s2, e2


def _events_from_counts(
    counts: np.ndarray, month_offsets: np.ndarray, month_days: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(member index, day offset) of each event, for per-member-month event counts."""
    member, month = np.nonzero(counts)
    repeats = counts[member, month]
    member, month = np.repeat(member, repeats), np.repeat(month, repeats)
    day = month_offsets[month] + (rng.random(member.size) * month_days[month]).astype(int)
    return member, day


def generate(spec: SyntheticSource) -> dict[str, pd.DataFrame]:
    """The four raw tables (members, eligibility, events, labels) of a synthetic health plan."""
    rng = np.random.default_rng(spec.seed)
    n, start = spec.members, spec.start_date
    days = (spec.end_date - start).days + 1
    members, age = _members(rng, n, start)
    deprivation = members["deprivation_index"].to_numpy()
    frailty = rng.normal(0.0, 0.7, n)
    s1, e1, s2, e2 = _eligibility(rng, n, days)

    onsets = np.full((n, len(CONDITIONS)), np.iinfo(np.int32).max)
    for j, (_, intercept, age_slope, _) in enumerate(CONDITIONS):
        logit = intercept + age_slope * (age - 50) + 1.2 * deprivation + 0.6 * frailty
        has = rng.random(n) < 1 / (1 + np.exp(-logit))
        preexisting = rng.random(n) < 0.6
        onset = np.where(preexisting, rng.integers(0, 90, n), rng.integers(0, days, n))
        onsets[:, j] = np.where(has, onset, onsets[:, j])

    months = _month_starts(start, spec.end_date)
    offsets = np.array([(m - start).days for m in months])
    lengths = np.diff(np.append(offsets, days))
    active = onsets[:, None, :] <= offsets[None, :, None]  # member x month x condition
    weights = np.array([c[3] for c in CONDITIONS])
    burden = (active * weights).sum(axis=2)
    n_active = active.sum(axis=2)
    ages = age[:, None] + offsets[None, :] / 365.25
    base = frailty[:, None] + 0.9 * deprivation[:, None]
    rates = {  # events per month
        "admission": np.exp(-3.1 + 0.035 * (ages - 50) + 1.5 * burden + base) / 12,
        "ed_visit": np.exp(-1.4 + 0.3 * n_active + base) / 12,
        "prescription": 0.1 + 0.45 * n_active,
    }
    frames = []
    for kind, rate in rates.items():
        member, day = _events_from_counts(rng.poisson(rate), offsets, lengths, rng)
        if kind == "admission":
            code = np.where(rng.random(member.size) < 0.85, "unplanned", "elective")
        elif kind == "ed_visit":
            code = np.full(member.size, "ed")
        else:
            code = DRUG_CLASSES[rng.integers(0, DRUG_CLASSES.size, member.size)]
        frames.append((member, day, np.full(member.size, kind), code))
    dx_counts = rng.poisson(0.25 * active)  # member x month x condition
    for j, (code, *_rest) in enumerate(CONDITIONS):
        member, day = _events_from_counts(dx_counts[:, :, j], offsets, lengths, rng)
        first = onsets[:, j] < days
        onset_member = np.nonzero(first)[0]
        member = np.concatenate([member, onset_member])
        day = np.concatenate([day, onsets[onset_member, j]])
        frames.append((member, day, np.full(member.size, "diagnosis"), np.full(member.size, code)))
    member, day, kind, code = (np.concatenate([f[i] for f in frames]) for i in range(4))

    eligible = ((day >= s1[member]) & (day <= e1[member])) | (
        (day >= s2[member]) & (day <= e2[member])
    )
    run_out = rng.random(member.size) < 0.003  # claims dated outside eligibility, kept on purpose
    keep = (eligible | run_out) & (day < days)
    member, day, kind, code = member[keep], day[keep], kind[keep], code[keep]
    order = np.lexsort((day, member))
    member, day, kind, code = member[order], day[order], kind[order], code[order]
    ids = members["member_id"].to_numpy()
    events = pd.DataFrame(
        {
            "member_id": ids[member],
            "event_date": _dates(start, day),
            "event_type": kind,
            "code": code,
        }
    )
    second = s2 >= 0
    spans = pd.DataFrame(
        {
            "member_id": np.concatenate([ids, ids[second]]),
            "start_date": _dates(start, np.concatenate([s1, s2[second]])),
            "end_date": _dates(start, np.concatenate([e1, e2[second]])),
        }
    )
    unplanned = (kind == "admission") & (code == "unplanned")
    labels = _labels(rng, spec, ids, (s1, e1, s2, e2), member[unplanned], day[unplanned], offsets)
    return {"members": members, "eligibility": spans, "events": events, "labels": labels}


def _labels(rng, spec, ids, spans, admitted, admission_day, offsets) -> pd.DataFrame:
    """One as-of date per member (a month start, at least 180 days in, while eligible for the
    whole horizon after it), labelled 1 when an unplanned admission follows within the horizon."""
    s1, e1, s2, e2 = spans
    horizon, days = spec.label_horizon_days, (spec.end_date - spec.start_date).days + 1
    candidates = np.nonzero((offsets >= 180) & (offsets + horizon < days))[0]
    chosen = offsets[rng.choice(candidates, size=ids.size)]
    covered = ((chosen >= s1) & (chosen + horizon <= e1)) | (
        (chosen >= s2) & (chosen + horizon <= e2)
    )
    after = admission_day - chosen[admitted]
    hit = np.zeros(ids.size, dtype=bool)
    hit[admitted[(after > 0) & (after <= horizon)]] = True
    return pd.DataFrame(
        {
            "member_id": ids[covered],
            "as_of_date": _dates(spec.start_date, chosen[covered]),
            "label": hit[covered].astype("int32"),
        }
    )
