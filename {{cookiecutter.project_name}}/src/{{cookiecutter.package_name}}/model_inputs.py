"""What a model takes as input: its feature columns by how they are encoded (numbers and
booleans, or categories), and the frame a single-node model is given. Training, scoring and
the gate all read a model's inputs through here, so "numeric" is decided in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from pyspark.sql import types as T

from .declarations import NUMERIC_COLUMN_TYPES

if TYPE_CHECKING:  # not imported: Python workers load this module to score (scoring.py)
    from .selection import Cart


@dataclass(frozen=True)
class Columns:
    """The model's inputs by how they are encoded."""

    numeric: list[str]
    categorical: list[str]

    @classmethod
    def of(cls, cart: Cart) -> Columns:
        return cls(
            numeric=[f for f in cart.features if cart.types[f] in NUMERIC_COLUMN_TYPES],
            categorical=[f for f in cart.features if cart.types[f] == "string"],
        )

    @classmethod
    def of_signature(cls, inputs: list[tuple[str, str]]) -> Columns:
        """From a logged model's signature, as (name, MLflow type) pairs, in order."""
        return cls(
            numeric=[n for n, t in inputs if t != "string"],
            categorical=[n for n, t in inputs if t == "string"],
        )

    @property
    def all(self) -> list[str]:
        return [*self.numeric, *self.categorical]


def numeric_in_spark(data_type: T.DataType) -> bool:
    """Whether a model takes a Spark column of this type as a number (numbers and booleans)."""
    return isinstance(data_type, T.NumericType | T.BooleanType)


def model_frame(pdf: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """The inputs of a single-node model: numbers and booleans as floats (empty = NaN)."""
    frame = pdf[columns.all].copy()
    for column in columns.numeric:
        if frame[column].dtype == object:  # booleans with empty values
            frame[column] = frame[column].astype("boolean")
        frame[column] = frame[column].astype("float64")
    return frame
