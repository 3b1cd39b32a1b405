"""Caching where the session can, and the same rows where it cannot (serverless compute)."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.caching import cached, clear, is_connect, uncache


def test_a_classic_session_caches_and_clears(spark) -> None:
    df = cached(spark.range(10))
    assert df.is_cached and df.count() == 10
    uncache(df)
    assert not df.is_cached
    again = cached(spark.range(5))
    assert again.storageLevel.useMemory
    clear(spark)
    assert not again.storageLevel.useMemory  # the session keeps nothing cached
    assert not is_connect(spark)
    assert again.count() == 5


class ConnectSession:  # what a Spark Connect client's session looks like from here
    __module__ = "pyspark.sql.connect.session"

    class catalog:  # noqa: N801
        @staticmethod
        def clearCache() -> None:  # noqa: N802
            raise RuntimeError("[NOT_SUPPORTED_WITH_SERVERLESS] CLEAR CACHE is not supported")


class RefusingFrame:
    sparkSession = ConnectSession()  # noqa: N815 (PySpark's name)

    def cache(self):
        raise RuntimeError("[NOT_SUPPORTED_WITH_SERVERLESS] PERSIST TABLE is not supported")


def test_a_session_that_refuses_to_cache_gets_the_frame_back_as_it_is() -> None:
    frame = RefusingFrame()
    assert is_connect(frame.sparkSession)
    assert cached(frame) is frame
    clear(ConnectSession())  # refused, and nothing was cached: not an error


def test_a_classic_session_that_fails_to_cache_says_so() -> None:
    class Broken(RefusingFrame):
        sparkSession = object()  # noqa: N815

    with pytest.raises(RuntimeError, match="PERSIST TABLE"):
        cached(Broken())
