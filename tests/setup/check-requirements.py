#!/usr/bin/env python3
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that this machine has every GStreamer element and command-line tool
the project's own pipelines and scripts name, and that scripts/setup.sh
installs the Debian package of each (issue #11: a fresh machine passes).

The elements come from the pipelines in the README, docs, examples, tools,
scripts, benchmarks and tests (gst-launch lines, gst_parse_launch strings,
the interop harness's argument lists, gst_element_factory_make calls);
tests/setup/requirements.tsv says which Debian package brings each one, and
which tool each package brings. A name the scan finds that the table lacks
fails too, so a new pipeline cannot bring a new gap unseen.

Usage: check-requirements.py SOURCE_ROOT. Uses GST_PLUGIN_PATH_1_0 as given,
so that our own elements count when it points at the build.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Where the project names elements and tools: relative globs.
SCANNED = [
    "README.md", "docs/*.md", "examples/*.sh", "examples/*.cpp",
    "examples/*/*.sh", "scripts/*.sh", "tools/*.cpp", "tests/bench/*.py",
    "tests/bench/*.sh", "tests/interop/*.mjs", "tests/tracker-diff/*.sh",
    "tests/integration/*.cpp", "tests/integration/*.h", "tests/unit/*.cpp",
    "tests/elements/*.cpp", "tests/run-in-netns.sh", "plugins/p2p/*.cpp",
    "gst/p2p/*/*.cpp",
]
OWN_PACKAGE = "(this project)"
ELEMENT_NAME = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9]$")


def normalize(text):
    """Pipeline text as gst-launch would read it: string concatenations,
    quotes, JS array commas and line continuations become spaces; a value
    spliced in from a variable becomes a placeholder."""
    # C++ / JS: "…location=" + url + " …" and `…${x}…`.
    text = re.sub(r'"\s*\+\s*[^"+;]+?\s*\+\s*"', "@", text)
    text = re.sub(r'"\s*\+\s*[\w.>()\-]+', " @", text)
    text = re.sub(r'[\w.>()\-]+\s*\+\s*"', "@ ", text)
    text = re.sub(r"\$\{[^}]*\}", "@", text)
    text = text.replace("\\\n", " ").replace("![", "[")  # markdown images
    text = re.sub(r'"\s*,\s*"', " ", text)  # ["a", "!", "b"]
    text = re.sub(r'"\s*\n\s*"', " ", text)  # "a " "b" (C string pieces)
    return re.sub(r"[\"'`\[\]]", " ", text)


def is_element_token(token):
    return ELEMENT_NAME.match(token) is not None


# Words before a '!' that make it shell negation, not a link.
SHELL_NEGATION = {"if", "elif", "while", "until", "[", "[[", "&&", "||", "then",
                  "do", "!"}


def elements_in_pipeline_text(text):
    """Element names in every `a ! b ! c` of @text (normalized)."""
    found = set()
    for line in text.split("\n"):
        words = line.split()
        links = [i for i, word in enumerate(words) if word == "!"
                 and (i == 0 or words[i - 1] not in SHELL_NEGATION)]
        if not links:
            continue
        for i in links:
            # Before a link: the last bare word before its properties (and
            # values spliced in by printf or concatenation).
            for word in reversed(words[:i]):
                if re.search(r"[=%@\\$]", word):
                    continue
                if is_element_token(word):
                    found.add(word)
                break
            # After it: the first word, unless caps or a pad reference.
            if i + 1 < len(words) and is_element_token(words[i + 1]):
                found.add(words[i + 1])
    return found


def scan(root):
    """{element: first "file:line" naming it}, {tool: first "file:line"}."""
    elements, tools = {}, {}
    tool_pattern = re.compile(r"\b(gst-[a-z]+-1\.0)\b")
    for pattern in SCANNED:
        for path in sorted(root.glob(pattern)):
            raw = path.read_text(errors="replace")
            where = str(path.relative_to(root))
            text = normalize(raw)
            # Line numbers of the normalized text drift: name the file.
            for element in elements_in_pipeline_text(text):
                elements.setdefault(element, where)
            for m in re.finditer(r'gst_element_factory_make \("(\w+)"', raw):
                elements.setdefault(m.group(1), where)
            # gst-launch-1.0 playbin3 uri=… has no '!'.
            for m in re.finditer(r"gst-launch-1\.0(?:\s+-\w+)*\s+(\w+)\s+\w+=",
                                 text):
                if is_element_token(m.group(1)):
                    elements.setdefault(m.group(1), where)
            for m in tool_pattern.finditer(raw):
                tools.setdefault(m.group(1), where)
    return elements, tools


def read_table(path):
    """requirements.tsv: `element NAME PACKAGE` and `tool NAME PACKAGE`."""
    elements, tools = {}, {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split(None, 2)
        if len(fields) != 3 or fields[0] not in ("element", "tool"):
            sys.exit(f"{path}:{number}: expected 'element|tool NAME PACKAGE'")
        kind, name, package = fields
        (elements if kind == "element" else tools)[name] = package
    return elements, tools


def setup_packages(root):
    """The Debian packages scripts/setup.sh installs (its APT_PACKAGES)."""
    text = (root / "scripts" / "setup.sh").read_text()
    m = re.search(r"APT_PACKAGES=\((.*?)\n\)", text, re.S)
    if not m:
        sys.exit("scripts/setup.sh: no APT_PACKAGES=( … ) list")
    words = []
    for line in m.group(1).splitlines():
        words += line.split("#", 1)[0].split()
    # Installed only when missing, like Node.js: `missing+=(nodejs)`.
    words += re.findall(r"missing\+=\((\S+)\)", text)
    return set(words)


def element_exists(name):
    # --exists alone also wants the plugin's version to be GStreamer's own
    # (libnice's and ours are not).
    return subprocess.run(["gst-inspect-1.0", "--exists",
                           "--atleast-version=0.0.0", name],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    table_path = root / "tests" / "setup" / "requirements.tsv"
    table_elements, table_tools = read_table(table_path)
    named_elements, named_tools = scan(root)
    installed = setup_packages(root)
    problems = []

    for name, where in sorted(named_elements.items()):
        if name not in table_elements:
            problems.append(
                f"element {name} (named in {where}) is not in {table_path.name}"
                f": add 'element {name} PACKAGE' (dpkg -S on the plugin file "
                f"that gst-inspect-1.0 {name} names)")
    for name, where in sorted(named_tools.items()):
        if name not in table_tools:
            problems.append(
                f"tool {name} (named in {where}) is not in {table_path.name}: "
                f"add 'tool {name} PACKAGE' (dpkg -S $(command -v {name}))")

    for name, package in sorted(table_elements.items()):
        if package != OWN_PACKAGE and package not in installed:
            problems.append(f"element {name} comes from Debian package "
                            f"{package}, which scripts/setup.sh does not "
                            f"install: add it to APT_PACKAGES")
        if not element_exists(name):
            fix = ("build the project (GST_PLUGIN_PATH_1_0 must name "
                   "build/plugins/p2p)" if package == OWN_PACKAGE else
                   f"install Debian package {package}")
            problems.append(f"element {name} is missing: {fix}")
    for name, package in sorted(table_tools.items()):
        if package not in installed:
            problems.append(f"tool {name} comes from Debian package {package}"
                            f", which scripts/setup.sh does not install: add "
                            f"it to APT_PACKAGES")
        if shutil.which(name) is None:
            problems.append(f"tool {name} is missing: install Debian package "
                            f"{package}")

    print(f"{len(table_elements)} elements and {len(table_tools)} tools "
          f"checked ({len(named_elements)} elements and {len(named_tools)} "
          f"tools named in the project's files)")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
