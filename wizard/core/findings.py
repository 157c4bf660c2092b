"""Findings: what a check found, row by row, kept column-wise so a million stay cheap.

Each finding has the source row (as the person sees it in the file), the account and the
customer's name on that row (filled by `identify` from the file's own columns), the field,
the value (card numbers already masked), the severity (blocking or warning), the rule broken
and what to do about it. They become the exceptions workbook, the counts in `--json`
results, and the lists the screens show (callers get them as data: `Findings` itself, or
`Finding` rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from wizard.core.visible import shown
from wizard.core.vocabulary import (
    BLOCKING,
    CONTROL_CHARACTERS,
    CONTROL_FIX,
    CONTROL_OR_LINE_CHARACTERS,
    CONTROL_RULE,
    WARNING,
)

__all__ = ["BLOCKING", "WARNING", "Finding", "Findings", "control_findings", "describe",
           "plural"]


@dataclass(frozen=True)
class Finding:
    row: int | None
    field: str
    value: str
    severity: str
    rule: str
    fix: str
    account: str = ""
    name: str = ""


@dataclass
class Findings:
    """Findings in columns; `add_many` adds a whole vector of rows for one rule at once."""

    rows: list[int | None] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def add(self, row: int | None, field_: str, value: str, severity: str, rule: str,
            fix: str, account: str = "", name: str = "") -> None:
        self.rows.append(row)
        self.fields.append(field_)
        self.values.append(value)
        self.severities.append(severity)
        self.rules.append(rule)
        self.fixes.append(fix)
        self.accounts.append(account)
        self.names.append(name)

    def add_many(self, rows: Sequence[int | None], field_: str, values: Sequence[str],
                 severity: str, rule: str, fix: str) -> None:
        n = len(rows)
        self.rows.extend(rows)
        self.fields.extend([field_] * n)
        self.values.extend(values)
        self.severities.extend([severity] * n)
        self.rules.extend([rule] * n)
        self.fixes.extend([fix] * n)
        self.accounts.extend([""] * n)
        self.names.extend([""] * n)

    def identify(self, rows: pa.Array | pa.ChunkedArray, accounts: pa.Array | pa.ChunkedArray,
                 names: pa.Array | pa.ChunkedArray | None = None,
                 fields: set[str] | None = None) -> None:
        """Fill each finding's account and customer name from the file's row of the same
        number (`rows`, `accounts`, `names` are the file's columns, row for row); only the
        findings about `fields`, when given. A finding that already names them keeps its
        own. Card numbers are masked (a card typed into the name column stays hidden)."""
        if not len(self):
            return
        keys = pa.array(self.rows, pa.int64())
        at = pc.index_in(keys, value_set=pc.cast(rows, pa.int64()))
        self._fill(self.accounts, at, accounts, fields)
        if names is not None:
            self._fill(self.names, at, names, fields)

    def name_accounts(self, accounts: pa.Array | pa.ChunkedArray,
                      names: pa.Array | pa.ChunkedArray) -> None:
        """Fill the customer name of each finding that names an account, from a list of
        (account, name): the snapshot, for files that hold no names."""
        if not len(self):
            return
        at = pc.index_in(pa.array(self.accounts, pa.string()),
                         value_set=pc.cast(accounts, pa.string()))
        self._fill(self.names, at, names, None)

    def accounts_from_values(self, fields: set[str]) -> None:
        """For findings whose value is the account itself (`fields`), say so."""
        self.accounts = [a or (v if f in fields else "")
                         for a, v, f in zip(self.accounts, self.values, self.fields)]

    def _fill(self, target: list[str], at: pa.Array, column: pa.Array | pa.ChunkedArray,
              fields: set[str] | None) -> None:
        from wizard.core.cards import mask_cards_in_text

        text = pc.fill_null(pc.cast(column, pa.string()), "")
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        found = pc.fill_null(pc.take(text, at), "").to_pylist()
        for i, (mine, theirs) in enumerate(zip(target, found)):
            if not mine and theirs and (fields is None or self.fields[i] in fields):
                target[i] = shown(mask_cards_in_text(theirs))

    def extend(self, other: Findings) -> None:
        for mine, theirs in zip(self._columns(), other._columns()):
            mine.extend(theirs)

    def _columns(self) -> tuple[list[object], ...]:
        return (self.rows, self.fields, self.values, self.severities,  # type: ignore[return-value]
                self.rules, self.fixes, self.accounts, self.names)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Finding]:
        for values in zip(*self._columns()):
            yield Finding(*values)

    @property
    def blocking(self) -> int:
        return self.severities.count(BLOCKING)

    @property
    def warnings(self) -> int:
        return self.severities.count(WARNING)

    def sorted(self) -> Findings:
        """Blocking first, then by row, so the person reads what stops them first."""
        order = sorted(
            range(len(self)),
            key=lambda i: (self.severities[i] != BLOCKING, self.rows[i] or 0, self.fields[i]),
        )
        out = Findings()
        for col_out, col_in in zip(out._columns(), self._columns()):
            col_out.extend(col_in[i] for i in order)
        return out

    def first(self, n: int) -> list[Finding]:
        return [f for _, f in zip(range(n), iter(self.sorted()))]

    def rules_summary(self) -> list[tuple[str, str, int]]:
        """(severity, rule, count) for each rule, blocking first."""
        counts: dict[tuple[str, str], int] = {}
        for sev, rule in zip(self.severities, self.rules):
            counts[(sev, rule)] = counts.get((sev, rule), 0) + 1
        return sorted(((s, r, c) for (s, r), c in counts.items()),
                      key=lambda t: (t[0] != BLOCKING, -t[2]))


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def describe(findings: Findings, limit: int = 5) -> Iterable[str]:
    """A few lines for a person: the rules broken and a handful of examples."""
    for severity, rule, count in findings.rules_summary():
        yield f"{severity}: {rule}: {plural(count, 'row')}"
    for f in findings.first(limit):
        where = f"row {f.row}" if f.row is not None else "file"
        if f.account:
            where += f" (account {f.account})"
        # the value as the finding shows it (controls already made visible): a repr() would
        # double every backslash of `\x00`
        yield f"  {where}: {f.field} '{f.value}': {f.rule}. {f.fix}"


# every byte but the controls: what `_may_hold` deletes, so only controls are left to see
_NOT_CONTROL = bytes(range(0x20, 0x100))
_NOT_CONTROL_NOR_LINE = _NOT_CONTROL + b"\t\n\r"


def _may_hold(column: pa.ChunkedArray, keep: bytes) -> bool:
    """Whether any byte of the column's text is a control (besides `keep`'s): one pass over
    each chunk's bytes at C speed, so a clean column of a million cells costs milliseconds.
    A sliced chunk's buffer may hold bytes past its cells: then the answer is only maybe."""
    for chunk in column.chunks:
        data = chunk.buffers()[2] if len(chunk.buffers()) > 2 else None
        if data is not None and data.to_pybytes().translate(None, keep):
            return True
    return False


def control_findings(data: pa.Table, rows: pa.Array | pa.ChunkedArray,
                     sent: Mapping[str, str]) -> Findings:
    """One blocking finding per cell holding a control character (`vocabulary`'s one rule),
    in every column of `data`, with its row (`rows`, row for row). `sent` maps the columns
    whose values are sent on to their field: there tab, CR and LF inside the trimmed value
    count too. Values are shown with the controls made visible and card numbers masked."""
    from wizard.core.cards import mask_cards_in_text

    found = Findings()
    for name in data.column_names:
        column = pc.cast(data.column(name), pa.string())
        field_ = sent.get(name)
        if field_ is not None:
            column = pc.utf8_trim_whitespace(column)
        if not _may_hold(column, _NOT_CONTROL if field_ else _NOT_CONTROL_NOR_LINE):
            continue
        pattern = CONTROL_OR_LINE_CHARACTERS if field_ else CONTROL_CHARACTERS
        at = pc.indices_nonzero(pc.fill_null(pc.match_substring_regex(column, pattern), False))
        if not len(at):
            continue
        values = [shown(mask_cards_in_text(v)) for v in pc.take(column, at).to_pylist()]
        found.add_many(pc.take(rows, at).to_pylist(), field_ or name, values, BLOCKING,
                       CONTROL_RULE, CONTROL_FIX)
    return found
