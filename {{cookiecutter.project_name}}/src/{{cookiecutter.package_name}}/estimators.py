"""The estimators a project can train, their hyperparameters, and how each is built.

`ESTIMATORS` is the one table: config validation reads the hyperparameter names from it and
training builds from it. Heavy libraries are imported only when an estimator is built, or when
the search spaces are checked against what each estimator's library accepts
(`space_problems`, `spark_space_problems`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .names import quote
from .yamlfiles import dotted

if TYPE_CHECKING:
    from .config import Distribution, Settings

Kind = Literal["spark", "sklearn"]


@dataclass(frozen=True)
class EstimatorSpec:
    kind: Kind  # spark: a pyspark.ml Pipeline on DataFrames; sklearn: one node, pandas
    params: dict[str, type]  # hyperparameter -> int, float or str (the value's type)
    doc: str  # the estimator's class, module.Class: what is built
    seed: str | None = None  # the keyword its seed is passed as (None: it draws nothing)
    categories: str | None = None  # sklearn: the keyword told which inputs are categories


ESTIMATORS: dict[str, EstimatorSpec] = {
    "hist_gradient_boosting": EstimatorSpec(
        "sklearn",
        {
            "learning_rate": float,
            "max_iter": int,
            "max_leaf_nodes": int,
            "max_depth": int,
            "min_samples_leaf": int,
            "l2_regularization": float,
            "max_features": float,
        },
        "sklearn.ensemble.HistGradientBoostingClassifier",
        seed="random_state",
        categories="categorical_features",
    ),
    "spark_gbt": EstimatorSpec(
        "spark",
        {
            "maxDepth": int,
            "maxIter": int,
            "stepSize": float,
            "subsamplingRate": float,
            "minInstancesPerNode": int,
            "maxBins": int,
        },
        "pyspark.ml.classification.GBTClassifier",
        seed="seed",
    ),
    "spark_random_forest": EstimatorSpec(
        "spark",
        {
            "numTrees": int,
            "maxDepth": int,
            "subsamplingRate": float,
            "minInstancesPerNode": int,
            "featureSubsetStrategy": str,
            "maxBins": int,
        },
        "pyspark.ml.classification.RandomForestClassifier",
        seed="seed",
    ),
    "spark_logistic_regression": EstimatorSpec(
        "spark",
        {"regParam": float, "elasticNetParam": float, "maxIter": int},
        "pyspark.ml.classification.LogisticRegression",
    ),
}


def typed(estimator: str, params: dict[str, Any]) -> dict[str, Any]:
    """Sampled hyperparameters cast to the types the estimator takes (Hyperopt yields floats);
    None (a choice's option, where the estimator takes it) stays None."""
    kinds = ESTIMATORS[estimator].params
    return {
        name: v if v is None else kinds[name](round(v) if kinds[name] is int else v)
        for name, v in params.items()
    }


def estimator_class(estimator: str) -> type:
    """The library's class of ``estimator`` (imports its library)."""
    module, _, name = ESTIMATORS[estimator].doc.rpartition(".")
    return getattr(importlib.import_module(module), name)


_TYPE_NAMES = {int: "an int", float: "a number", str: "a str"}


def _fits_type(value: Any, kind: type) -> bool:
    """Whether ``typed`` passes ``value`` (a choice's option) on unchanged in meaning."""
    if isinstance(value, bool):
        return False
    if kind is int:
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, str)


def _drawn(d: Distribution, kind: type) -> Iterator[tuple[tuple, Any, str]]:
    """(key below the hyperparameter, the value the estimator is given, how it came from the
    written one) for every option of a choice, and the extremes of the other distributions:
    the estimator's allowed ranges are intervals, so both ends inside means every draw is."""
    if d.distribution == "choice":
        for i, option in enumerate(d.options or []):
            yield ("options", i), option, ""
        return
    for end in ("low", "high"):
        written = getattr(d, end)
        value, how = written, ""
        if d.distribution == "quniform":  # Hyperopt: round(uniform(low, high) / q) * q
            value = round(written / d.q) * d.q
            if value != written:
                how = f" ({end} {written:g} rounded to a multiple of q {d.q:g})"
        if kind is int:
            if round(value) != value and not how:
                how = f" ({end} {written:g} rounded to an int)"
            value = round(value)
        yield (end,), value, how


def _space_line(settings: Settings, name: str, param: str, keys: tuple, reason: str) -> str:
    """One problem of ``training.search_spaces.<name>.<param>.<keys>``, naming its file."""
    key = ("training", "search_spaces", name, param, *keys)
    return f"{settings.source_of(*key)}: {dotted(key)}: {reason}"


def _shown(value: Any, how: str) -> str:
    return f"draws {value!r}{how}, which" if how else f"{value!r}"


def _sklearn_problems(cls: type, param: str, checks: list[tuple[tuple, Any, str]]) -> list:
    """(keys, reason) for each value outside the class's published ``_parameter_constraints``
    (through scikit-learn's own constraint objects)."""
    from sklearn.utils._param_validation import make_constraint

    published = getattr(cls, "_parameter_constraints", {}).get(param)
    if published is None:  # nothing published for it: the fit is left to say
        return []
    constraints = [make_constraint(c) for c in published]
    allowed = " or ".join(str(c) for c in constraints)
    accepted = {keys: [c for c in constraints if c.is_satisfied_by(v)] for keys, v, _ in checks}
    found = [
        (keys, f"{_shown(value, how)} is outside what {cls.__name__}'s {param} accepts: {allowed}")
        for keys, value, how in checks
        if not accepted[keys]
    ]
    ends = [accepted[k] for k in (("low",), ("high",)) if k in accepted]
    if len(ends) == 2 and all(ends) and not {id(c) for c in ends[0]} & {id(c) for c in ends[1]}:
        reason = (
            f"low and high fall in different ranges of what {cls.__name__}'s {param} accepts "
            f"({allowed}): keep both in one"
        )
        found.append((("high",), reason))
    return found


def _param_problems(name: str, param: str, d: Distribution) -> list[tuple[tuple, str]]:
    """(keys below the hyperparameter, reason) for each value of its distribution that the
    estimator's library does not accept."""
    spec, cls = ESTIMATORS[name], estimator_class(name)
    kind = spec.params[param]
    if kind is str and d.distribution != "choice":
        reason = (
            f"{param} of {cls.__name__} takes a str: give its values as distribution: choice, "
            "options: [...]"
        )
        return [(("distribution",), reason)]
    found, checks = [], []
    for keys, value, how in _drawn(d, kind):
        if value is not None and not _fits_type(value, kind):
            quotes = " (in quotes)" if kind is str else ""
            reason = (
                f"{value!r} is not {_TYPE_NAMES[kind]}: {param} of {cls.__name__} takes "
                f"{_TYPE_NAMES[kind]}{quotes}"
            )
            found.append((keys, reason))
        else:
            checks.append(
                (keys, None if value is None else typed(name, {param: value})[param], how)
            )
    if spec.kind == "sklearn":
        return found + _sklearn_problems(cls, param, checks)
    for keys, value, how in checks:  # Spark ML: the Param's own type converter
        try:
            getattr(cls, param).typeConverter(value)
        except TypeError as error:
            found.append((keys, f"{_shown(value, how)} is refused by {cls.__name__}: {error}"))
    return found


def space_problems(settings: Settings) -> list[str]:
    """Every value a search space gives an estimator that its library does not accept, checked
    before any trial runs: the type of each choice's options, and every option and bound
    against scikit-learn's published ``_parameter_constraints``; for Spark ML estimators the
    types by each ``Param``'s ``typeConverter`` (their ranges need the JVM: see
    `spark_space_problems`). One line per problem, naming the file, the key path and what the
    estimator accepts."""
    return [
        _space_line(settings, name, param, keys, reason)
        for name, space in settings.training.search_spaces.items()
        for param, d in space.items()
        for keys, reason in _param_problems(name, param, d)
    ]


def _spark_range(doc: str) -> str:
    """What a Spark ML Param's doc says it accepts, for messages: its interval ("[0, 30]",
    "(0, 1]"), else its bound (">= 0"), else its supported options, else the whole doc."""
    number = r"-?(?:[\d.]+|inf)"
    intervals = re.findall(rf"[\[(]\s*{number}\s*,\s*{number}\s*[\])]", doc)
    bounds = re.findall(rf">=\s*{number}", doc)
    if "Supported options:" in doc:
        return doc[doc.index("Supported options:") :]
    return ", ".join(dict.fromkeys(intervals or bounds)) or doc


def spark_space_problems(settings: Settings, spark) -> list[str]:
    """Every bound and option of a Spark ML search space outside what the estimator's own Param
    validator (Scala's ParamValidators, asked through the JVM) accepts. Needs a classic
    SparkSession; where there is no JVM to ask (Spark Connect), the fit is left to say."""
    try:
        from pyspark.ml.common import _py2java

        context = spark.sparkContext
    except Exception:  # Spark Connect: no JVM on this side
        return []
    problems = []
    for name, space in settings.training.search_spaces.items():
        spec = ESTIMATORS[name]
        if spec.kind != "spark":
            continue
        cls = estimator_class(name)
        try:  # the instance is held while its JVM object is asked: freeing it detaches that
            instance = cls()
            validators = {p: instance._java_obj.getParam(p).isValid() for p in space}
        except Exception:  # a cluster that keeps the JVM from Python: the fit is left to say
            continue
        for param, d in space.items():
            converter, validator = getattr(cls, param).typeConverter, validators[param]
            for keys, value, how in _drawn(d, spec.params[param]):
                try:
                    value = converter(typed(name, {param: value})[param])
                except (TypeError, ValueError):
                    continue  # a type problem: space_problems reports it
                if not validator.apply(_py2java(context, value)):
                    reason = (
                        f"{_shown(value, how)} is outside what {cls.__name__}'s {param} "
                        f"accepts: {_spark_range(getattr(cls, param).doc)}"
                    )
                    problems.append(_space_line(settings, name, param, keys, reason))
    return problems


def _seeded(spec: EstimatorSpec, seed: int) -> dict[str, int]:
    return {spec.seed: seed} if spec.seed else {}


def build_sklearn(estimator: str, params: dict[str, Any], categorical: list[str], seed: int):
    """An unfitted sklearn Pipeline: categorical columns ordinal-encoded (first), then the
    estimator's class from `ESTIMATORS`, told which inputs are categories where it takes that.

    Numeric columns pass through with their missing values, which the model handles itself.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                categorical,
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    spec = ESTIMATORS[estimator]
    told = {spec.categories: list(range(len(categorical))) or None} if spec.categories else {}
    model = estimator_class(estimator)(**params, **told, **_seeded(spec, seed))
    return Pipeline([("encode", encode), ("model", model)])


def build_spark(
    estimator: str, params: dict[str, Any], numeric: list[str], categorical: list[str], seed: int
):
    """An unfitted pyspark.ml Pipeline that takes the feature columns as the feature table has
    them: numbers and booleans cast to double and imputed, strings indexed and one-hot encoded,
    then the estimator's class from `ESTIMATORS`.

    It reads a ``label`` column and adds ``probability`` and ``prediction``.
    """
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import (
        Imputer,
        OneHotEncoder,
        SQLTransformer,
        StringIndexer,
        VectorAssembler,
    )

    stages: list = []
    as_double = [f"{c}__double" for c in numeric]
    imputed = [f"{c}__imputed" for c in numeric]
    if numeric:
        casts = ", ".join(
            f"CAST({quote(c)} AS DOUBLE) AS {quote(d)}"
            for c, d in zip(numeric, as_double, strict=True)
        )
        stages.append(SQLTransformer(statement=f"SELECT *, {casts} FROM __THIS__"))
        stages.append(Imputer(inputCols=as_double, outputCols=imputed, strategy="median"))
    indexed = [f"{c}__index" for c in categorical]
    encoded = [f"{c}__onehot" for c in categorical]
    if categorical:
        stages.append(
            StringIndexer(inputCols=categorical, outputCols=indexed, handleInvalid="keep")
        )
        stages.append(OneHotEncoder(inputCols=indexed, outputCols=encoded, handleInvalid="keep"))
    stages.append(
        VectorAssembler(inputCols=imputed + encoded, outputCol="features", handleInvalid="keep")
    )
    model = estimator_class(estimator)(
        labelCol="label", featuresCol="features", **_seeded(ESTIMATORS[estimator], seed), **params
    )
    stages.append(model)
    return Pipeline(stages=stages)
