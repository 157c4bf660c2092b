"""The README's command examples are true: each parses, names real task ids and fields, and
the ones that need no provider run, in order, on a fresh project."""

from __future__ import annotations

import re
import shlex
from datetime import date
from pathlib import Path

import pytest

from tests.helpers.cli import convwiz
from wizard.cli import build_parser
from wizard.core import generate

README = Path(__file__).resolve().parents[2] / "README.md"
# these talk to the provider, or need its cross-reference: parsed, not run
NEEDS_PROVIDER = {"host-key", "connect", "send", "fetch-xref", "import-xref", "tokens",
                  "verify", "purge"}


def examples() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The commands"):]
    section = section[:section.index("\n## ", 3)]
    out = []
    for line in section.splitlines():
        stripped = line.strip()
        if not line.startswith("    ") or "convwiz " not in stripped:
            continue
        command = stripped.split("|")[-1] if "|" in stripped else stripped
        command = re.sub(r"\s+#.*$", "", command)
        words = shlex.split(command)
        assert words[0] == "convwiz", line
        out.append(words[1:])
    return out


def test_the_readme_has_an_example_of_every_command() -> None:
    shown = {words[0] for words in examples()}
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    commands = set(sub.choices) - {"demo", "gui", "provider-sim"}  # shown elsewhere
    assert commands <= shown, commands - shown


@pytest.mark.parametrize("words", examples(), ids=lambda w: w[0])
def test_each_example_parses(words: list[str]) -> None:
    args = build_parser().parse_args(words)
    if words[0] == "checklist" and args.done:
        from wizard.flow.steps.checklist import TASKS

        assert args.done in {t.id for t in TASKS}


def test_the_examples_that_need_no_provider_run(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    generate.write_xlsx(generate.customers(60), tmp_path / "portal_export.xlsx")
    for words in examples():
        if words[0] in NEEDS_PROVIDER:
            continue
        if words[0] == "init" and date.fromisoformat(words[words.index("--go-live") + 1]) \
                < date.today():
            words = [*words, "--allow-past"]
        run = convwiz(*words, "--json")
        assert run.code == 0, (words, run.stderr)
