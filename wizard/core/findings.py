"""Findings: what a check found, row by row, kept column-wise so a million stay cheap.

Each finding has the source row (as the person sees it in the file), the field, the value
(card numbers already masked), the severity (blocking or warning), the rule broken and what
to do about it. They become the exceptions workbook and the counts in `--json` results.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from wizard.core.vocabulary import BLOCKING, WARNING

__all__ = ["BLOCKING", "WARNING", "Finding", "Findings", "describe", "plural"]


@dataclass(frozen=True)
class Finding:
    row: int | None
    field: str
    value: str
    severity: str
    rule: str
    fix: str


@dataclass
class Findings:
    """Findings in columns; `add_many` adds a whole vector of rows for one rule at once."""

    rows: list[int | None] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)

    def add(self, row: int | None, field_: str, value: str, severity: str, rule: str,
            fix: str) -> None:
        self.rows.append(row)
        self.fields.append(field_)
        self.values.append(value)
        self.severities.append(severity)
        self.rules.append(rule)
        self.fixes.append(fix)

    def add_many(self, rows: Sequence[int | None], field_: str, values: Sequence[str],
                 severity: str, rule: str, fix: str) -> None:
        n = len(rows)
        self.rows.extend(rows)
        self.fields.extend([field_] * n)
        self.values.extend(values)
        self.severities.extend([severity] * n)
        self.rules.extend([rule] * n)
        self.fixes.extend([fix] * n)

    def extend(self, other: Findings) -> None:
        for mine, theirs in zip(self._columns(), other._columns()):
            mine.extend(theirs)

    def _columns(self) -> tuple[list[object], ...]:
        return (self.rows, self.fields, self.values, self.severities,  # type: ignore[return-value]
                self.rules, self.fixes)

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
        yield f"  {where}: {f.field} {f.value!r}: {f.rule}. {f.fix}"
