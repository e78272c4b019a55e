"""Parses the documented `sam deploy` commands' --parameter-overrides with the SAM CLI's own parser.

SAM CLI 1.170 splits --parameter-overrides values on spaces and quotes: a JSON value such as
DatasetsJson="$(jq -c ...)" reached the stack truncated to "[{". This check takes every fenced
shell block in README.md and docs/*.md that runs `sam deploy ... --parameter-overrides`, splits
it into words as a shell would, hands the words after --parameter-overrides to
samcli.cli.types.CfnParameterOverridesType, and fails unless every Name=Value arrives whole and
names a parameter of template.yaml. Run by scripts/ci-sam.sh with the SAM CLI's venv:

    .venv/bin/python scripts/check-deploy-command.py
"""
import pathlib
import shlex
import sys

from samcli.cli.types import CfnParameterOverridesType
from samcli.yamlhelper import yaml_parse

ROOT = pathlib.Path(__file__).resolve().parent.parent


def fenced_blocks(text):
    """The contents of the fenced code blocks of a Markdown page, opening and closing fences paired."""
    block = None
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if block is None:
                block = []
            else:
                yield "".join(block)
                block = None
        elif block is not None:
            block.append(line)


def documented_commands():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        if not page.is_file():
            continue
        for block in fenced_blocks(page.read_text(encoding="utf-8")):
            text = block.replace("\\\n", " ")
            for line in text.splitlines():
                if "sam deploy" in line and "--parameter-overrides" in line:
                    yield page.relative_to(ROOT), line


def override_words(line):
    words = shlex.split(line, comments=True)
    start = words.index("--parameter-overrides") + 1
    out = []
    for word in words[start:]:
        if word.startswith("--") or word in ("&&", ";", "|"):
            break
        out.append(word)
    return out


def main():
    parameters = set(yaml_parse((ROOT / "template.yaml").read_text(encoding="utf-8")).get("Parameters", {}))
    commands = list(documented_commands())
    if not commands:
        print("check-deploy-command: no documented `sam deploy ... --parameter-overrides` command found", file=sys.stderr)
        return 1
    failures = []
    for page, line in commands:
        words = override_words(line)
        expected = dict(word.split("=", 1) for word in words if "=" in word)
        if len(expected) != len(words):
            failures.append(f"{page}: not every override is Name=Value: {words}")
            continue
        parsed = CfnParameterOverridesType().convert(tuple(words), None, None)
        if parsed != expected:
            failures.append(f"{page}: the SAM CLI parses {words} as {parsed}")
        unknown = sorted(set(expected) - parameters)
        if unknown:
            failures.append(f"{page}: template.yaml has no parameter {', '.join(unknown)}")
        if not failures:
            print(f"ok   {page}: {len(parsed)} parameters arrive whole ({', '.join(parsed)})")
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
