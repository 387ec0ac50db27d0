"""CSV files with a header row: numeric features, a raw target column, the header's names and a
column's cells as text. Local files only; every error names the file, line and column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glassnet._checks import cast_to_float, fit_text, float_dtype
from glassnet.datasets.base import _existing_file, _names

# Cells that mean "no value" (compared lower-case); non-finite numbers such as inf fail on parsing.
_MISSING = frozenset({"na", "n/a", "nan", "null", "none"})


@dataclass(frozen=True, eq=False)
class CsvTable:
    """A CSV file read by ``read_csv``: numeric features and, optionally, a raw target column."""

    features: np.ndarray  # (n_rows, n_features), float64: the feature columns read
    feature_names: tuple[str, ...]  # their header names, in the order of the features
    target: np.ndarray | None  # (n_rows,): float64 if every cell is a number, else str objects
    target_name: str | None  # the target column's name, None without a target
    path: Path  # the file that was read


class TextCellError(ValueError):
    """A feature cell of a CSV file holds text where a number is expected; the message names the
    file, the line and the column."""


#: The delimiters told apart in a header line, the first preferred on a tie.
DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(line: str) -> str:
    """The delimiter of a CSV header ``line``: whichever of ``DELIMITERS`` occurs most often
    outside double quotes, ``","`` when none does (a file of one column) or on a tie."""
    unquoted = "".join(line.split('"')[::2])
    counts = [unquoted.count(delimiter) for delimiter in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))]


def delimiter_hint(names, delimiter: str | None = None) -> str:
    """A note for messages about missing columns: ``" (the header looks separated by ';')"``
    when the column names hold one of ``DELIMITERS`` other than ``delimiter``, else ``""``."""
    others = [d for d in DELIMITERS if d != delimiter and any(d in name for name in names)]
    return f" (the header looks separated by {others[0]!r})" if others else ""


def _delimiter_of(path: Path, delimiter) -> str:
    """``delimiter`` checked, or when None the one the first non-blank line of ``path`` uses."""
    if delimiter is None:
        # Undecodable bytes are reported by the read that follows, with their offset.
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            return sniff_delimiter(next((line for line in handle if line.strip()), ""))
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(
            "delimiter must be one character other than a quote or a line break, such as ';', "
            f"got {delimiter!r}"
        )
    return delimiter


def _csv_rows(path: Path, delimiter: str):
    """Yield ``(line number, stripped cells)`` for every non-blank row of a UTF-8 CSV file."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            try:
                for cells in reader:
                    if "".join(cells).strip() or len(cells) > 1:
                        yield reader.line_num, [cell.strip() for cell in cells]
            except csv.Error as error:
                raise ValueError(f"{path}, line {reader.line_num}: {error}") from error
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path}: expected UTF-8 text, got byte 0x{error.object[error.start]:02X} "
            f"at offset {error.start}"
        ) from error


def _is_number(cell: str) -> bool:
    """Return whether ``float(cell)`` succeeds."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _cell_number(cell: str, where: str) -> float:
    """Parse a feature cell as a finite float; ``where`` names the file, line and column."""
    try:
        value = float(cell)
    except ValueError:
        raise TextCellError(f"{where}: expected a number, got {cell!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: expected a finite number, got {cell!r}")
    return value


def _check_fit(values: np.ndarray, dtype: np.dtype, where) -> None:
    """Raise naming the cell when a value of ``values`` (float64, finite) does not fit ``dtype``;
    ``where(index)`` names the cell of an index of ``values``."""
    _, bad = cast_to_float(values, dtype)
    if bad is not None:
        raise ValueError(f"{where(bad)}: {values[bad].item()!r} does not {fit_text(dtype)}")


def read_csv_header(path, delimiter: str | None = None) -> list[str]:
    """The column names of the CSV file at ``path``, read as ``read_csv`` reads them, without
    reading the rows below the header."""
    path = _existing_file(path, "CSV file")
    for _, names in _csv_rows(path, _delimiter_of(path, delimiter)):
        return names
    raise ValueError(f"{path}: the file is empty; expected a header row of column names")


def read_csv_column(path, name: str, delimiter: str | None = None) -> list[str]:
    """The cells of column ``name`` of the CSV file at ``path`` as text, stripped, one per data
    row, in file order: an id or a name carried beside what a model computes from the row."""
    path = _existing_file(path, "CSV file")
    delimiter = _delimiter_of(path, delimiter)
    rows = _csv_rows(path, delimiter)
    _, names = next(rows, (0, []))
    if name not in names:
        raise ValueError(
            f"{path}: no column {name!r}; available columns: {', '.join(names)}"
            f"{delimiter_hint(names, delimiter)}"
        )
    column = names.index(name)
    cells = []
    for line, row in rows:
        if len(row) != len(names):
            raise ValueError(
                f"{path}, line {line}: expected {len(names)} cells, one per column, got {len(row)}"
            )
        cells.append(row[column])
    return cells


def read_csv(
    path,
    target: str | None = None,
    columns: list[str] | tuple[str, ...] | None = None,
    delimiter: str | None = None,
    *,
    dtype="float64",
) -> CsvTable:
    """Read a CSV file with a header row into numeric features and an optional target column.

    ``columns``, when given, names the feature columns to read, in the order the features take
    them; every other column except ``target`` is skipped without its cells being parsed, so it
    may hold text such as names or ids. Without ``columns`` every column except ``target`` is a
    feature, in file order. Feature cells must hold finite numbers; a cell with text raises
    ``TextCellError`` (a ``ValueError``). The target is kept raw: float64 when every cell parses
    as a number, else an array of str. ``dtype`` (float32 or float64) is the number type the
    values will be used in, a model's: a number beyond its range (``1e39`` for float32) raises,
    rather than becoming an infinity later, for the features and a numeric target alike. Cells
    are stripped of whitespace; a UTF-8 byte-order mark is accepted; blank lines are skipped;
    every row has one cell per header column. Errors name the file and the 1-based line (the
    header is line 1) and column. Cells are separated by ``delimiter``, by default the one the
    header line uses (``sniff_delimiter``: a comma, semicolon, tab or bar); a missing column's
    message says when the header looks separated by another.

    Returns a CsvTable with features ``(n_rows, n_features)``, ``n_features = len(columns)`` or
    the number of columns besides the target, and target ``(n_rows,)`` or None.
    """
    path = _existing_file(path, "CSV file")
    dtype = float_dtype(dtype)
    if target is not None and not isinstance(target, str):
        raise TypeError(f"target must be a column name (str) or None, got {target!r}")
    if columns is not None:
        columns = _feature_columns(columns, target)
    delimiter = _delimiter_of(path, delimiter)
    rows = list(_csv_rows(path, delimiter))
    if not rows:
        raise ValueError(f"{path}: the file is empty; expected a header row of column names")
    header_line, names = rows[0]
    first_seen: dict[str, int] = {}
    for column, name in enumerate(names, start=1):
        if not name:
            raise ValueError(f"{path}, line {header_line}: column {column} has an empty name")
        if name in first_seen:
            raise ValueError(
                f"{path}, line {header_line}: duplicate column name {name!r} "
                f"(columns {first_seen[name]} and {column})"
            )
        first_seen[name] = column
    if target is not None and target not in first_seen:
        raise ValueError(
            f"{path}: no target column {target!r}; available columns: {', '.join(names)}"
            f"{delimiter_hint(names, delimiter)}"
        )
    if target is not None and len(names) == 1:
        raise ValueError(
            f"{path}: expected feature columns besides the target {target!r}, got none"
        )
    if columns is None:
        columns = tuple(name for name in names if name != target)
    missing = [name for name in columns if name not in first_seen]
    if missing:
        raise ValueError(
            f"{path}: no column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(name) for name in missing)}; available columns: {', '.join(names)}"
            f"{delimiter_hint(names, delimiter)}"
        )
    if len(rows) == 1:
        raise ValueError(
            f"{path}: expected data rows after the header (line {header_line}), got none"
        )

    wanted = set(columns)
    # Cells are read in file order; ``order`` then puts the features in the order of columns.
    position = {name: i for i, name in enumerate(name for name in names if name in wanted)}
    order = [position[name] for name in columns]
    features, target_cells = [], []
    for line, cells in rows[1:]:
        if len(cells) != len(names):
            raise ValueError(
                f"{path}, line {line}: expected {len(names)} cells, one per column, "
                f"got {len(cells)}"
            )
        row = []
        for name, cell in zip(names, cells, strict=True):
            if name != target and name not in wanted:
                continue
            where = f"{path}, line {line}, column {name!r}"
            if not cell or cell.lower() in _MISSING:
                raise ValueError(f"{where}: expected a value, got the missing value {cell!r}")
            if name == target:
                target_cells.append((where, cell))
            else:
                row.append(_cell_number(cell, where))
        features.append(row)

    features = np.array(features, dtype=np.float64)[:, order]
    _check_fit(
        features,
        dtype,
        lambda cell: f"{path}, line {rows[1 + cell[0]][0]}, column {columns[cell[1]]!r}",
    )
    target_values = None
    if target is not None and all(_is_number(cell) for _, cell in target_cells):
        target_values = np.array(
            [_cell_number(cell, where) for where, cell in target_cells], dtype=np.float64
        )
        _check_fit(target_values, dtype, lambda cell: target_cells[cell[0]][0])
    elif target is not None:
        target_values = np.array([cell for _, cell in target_cells], dtype=object)
    return CsvTable(
        features=features,
        feature_names=columns,
        target=target_values,
        target_name=target,
        path=path,
    )


def _feature_columns(columns, target: str | None) -> tuple[str, ...]:
    """Check ``read_csv``'s ``columns``: at least one name, none twice, not the target."""
    columns = _names(columns, "columns")
    if not columns:
        raise ValueError(f"columns must name at least one feature column, got {columns!r}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise ValueError(
            f"columns must name each column once, got {', '.join(map(repr, repeated))} "
            f"more than once: {columns!r}"
        )
    if target in columns:
        raise ValueError(f"columns must not include the target column {target!r}: {columns!r}")
    return columns
