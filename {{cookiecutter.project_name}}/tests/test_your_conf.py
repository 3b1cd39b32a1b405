"""Is conf/ consistent? The one part of the suite that reads the project's own configuration,
whatever it holds: run `make test` after every change to it.

Every environment loads; every name one file uses, another declares; every mapped feature is
computed, with its declared type, by the group that declares it; the selection keeps features;
the search space samples, inside what each estimator accepts. No data is read: the feature groups are built on empty tables of the
declared columns, which is enough for Spark to say what each would return.
"""

from __future__ import annotations

import pytest
from hyperopt.pyll.stochastic import sample

from {{ cookiecutter.package_name }}.config import (
    available_envs,
    source_keys,
    uses_developer,
)
from {{ cookiecutter.package_name }}.config import (
    load_settings as load_any,
)
from {{ cookiecutter.package_name }}.estimators import spark_space_problems
from {{ cookiecutter.package_name }}.features import (
    build,
    entity_view,
)
from {{ cookiecutter.package_name }}.features.aggregates import SPARK_TYPES
from {{ cookiecutter.package_name }}.features.functions import registered
from {{ cookiecutter.package_name }}.pipeline import check_conf
from {{ cookiecutter.package_name }}.tuners import hyperopt_space, optuna_params

from conftest import PROJECT_ROOT

CONF = PROJECT_ROOT / "conf"
ENVS = available_envs(CONF)


def load_settings(env: str, conf=CONF):
    """The settings of ``env``; a per-developer one (dev) as a developer's jobs load it."""
    return load_any(env, conf, developer="a_developer" if uses_developer(env, conf) else None)


def test_there_are_environments() -> None:
    assert "local" in ENVS


@pytest.mark.parametrize("env", ENVS)
def test_every_environment_loads_and_every_name_resolves(env: str) -> None:
    cart = check_conf(load_settings(env, CONF))
    assert cart.features, "the selection keeps no feature"


@pytest.mark.parametrize("env", ENVS)
def test_the_search_space_samples_values_of_the_estimator(env: str) -> None:
    import optuna

    training = load_settings(env, CONF).training
    space = training.search_spaces[training.estimator]
    drawn = sample(hyperopt_space(space))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    suggested = optuna_params(optuna.create_study().ask(), space)
    assert set(drawn) == set(suggested) == set(space)


@pytest.mark.parametrize("env", ENVS)
def test_every_spark_ml_search_space_is_inside_what_its_estimator_accepts(spark, env) -> None:
    # scikit-learn's ranges are checked with the rest (check_conf); Spark ML's need the JVM
    assert spark_space_problems(load_settings(env, CONF), spark) == []


def test_every_mapped_feature_is_computed_with_its_declared_type(spark) -> None:
    settings = load_settings("local", CONF)
    cart = check_conf(settings)
    tables = {
        name: entity_view(
            settings,
            name,
            spark.createDataFrame(
                [], ", ".join(f"`{c}` {SPARK_TYPES[col.type]}" for c, col in spec.columns.items())
            ),
        )
        for name, spec in settings.sources.items()
    }
    entity = settings.entity
    key_types = {
        k: SPARK_TYPES[settings.sources[settings.population.source].columns[c].type]
        for k, c in zip(entity.key, source_keys(settings, settings.population.source), strict=True)
    }
    spine = spark.createDataFrame(
        [], ", ".join([*(f"`{k}` {t}" for k, t in key_types.items()), f"`{entity.as_of}` date"])
    )
    functions = registered(settings.features.modules)
    table = build(spine, tables, settings, cart.mappings, functions, cart.mappings_file)
    declared = {
        f: SPARK_TYPES[spec.type]
        for group in cart.mappings.groups.values()
        for f, spec in group.features.items()
    }
    assert dict(table.dtypes) == {**key_types, entity.as_of: "date", **declared}


def test_runs_of_their_own_write_nowhere_a_deployed_environment_writes() -> None:
    # conf/envs/test.yml, the pull-request runs' namespace: every table, the volume, the
    # experiment and the model differ from each deployed environment's (remote_jobs submits
    # pull-request runs with it, and refuses one that shares a name)
    from tools.remote_jobs import (
        DEPLOYED,
        environment,
        shared_names,
    )

    deployed = [env for env in DEPLOYED if env in ENVS]
    own = [
        env
        for env in ENVS
        if env not in DEPLOYED and load_settings(env, CONF).storage.catalog is not None
    ]
    assert "test" in own
    for env in own:
        for other in deployed:
            assert shared_names(environment(env, CONF), environment(other, CONF)) == []
