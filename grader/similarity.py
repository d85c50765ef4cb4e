"""Alike submissions per task: MOSS/JPlag-like clusters, but for Dockerfiles and their sources.

Instructors get, for each task, the groups of students whose work is the same or nearly so,
with how alike each linking pair is, to look at before grades go out. Copying a Dockerfile is
easy to disguise without changing what it builds: renaming the stages (``AS builder`` becomes
``AS build``), reordering flags, re-wrapping lines, changing case or adding comments. So files
are compared after ``normalise``: one canonical line per instruction as Docker's own parser
reads it, with comments, blank lines, continuations, white space and keyword case gone, each
stage named by its index (``s0``, ``s1``, ... also where ``FROM``, ``COPY --from`` and
``RUN --mount=from=`` use it, matched without case as Docker does), flags and the keys of a
``--mount`` sorted, mount key aliases and the default ``type=bind`` spelled one way, and JSON
forms written one way (the file-list ones, COPY, ADD and VOLUME, as plain words when they need
no quoting, since both forms mean the same there).

Files of the build context are compared by content (``source_digests``: SHA-256 per file, so a
renamed copy is still a copy). What the class was given is not evidence: a content held by more
than half of a task's submissions, and by at least three, is the class template and left out,
and so is an empty file; only each student's own files count (Jaccard index of the contents).

The report is advisory and for the instructor's copy of the results only: it names other
students, so nothing here may reach a student's copy, page or export.

The Dockerfile part of a pair is difflib's ratio of the two line lists (the better of its two
directions: difflib's is not symmetric), the sources part the Jaccard index of the own files
(None when either has none), the score their mean, or the Dockerfile part alone. Clusters are
single linkage over the pairs at or above the threshold; each lists its maximum spanning tree.

Cost: identical normalised work is grouped by value and compared once, and pairs that cannot
reach the threshold are skipped on difflib's upper bounds (lengths, then shared lines) before
the full ratio, which a copy with lines changed in place does not need either (``_in_order``):
a class of thousands sharing a template takes well under a second.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Final, NamedTuple

import dockerfile as _parser
from docker.utils.build import exclude_paths

from grader.buildcontext import dockerignore_patterns
from grader.dockerfile.source import Command, decode, for_parser, go_parse
from grader.dockerfile.words import split_command
from grader.files import read_upto
from grader.models.results import Results, TaskResult
from grader.models.similarity import MAX_PAIRS, Cluster, SimilarityReport, SimilarPair

MiB: Final = 1024 * 1024
EMPTY_SHA256: Final = hashlib.sha256(b"").hexdigest()
"""An empty file's digest: content-free, so never evidence of copying."""

_KEYWORDS: Final = frozenset(
    {"ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL"}
    | {"MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)
_FILE_LISTS: Final = frozenset({"ADD", "COPY", "VOLUME"})  # JSON form means the same as words
_PAIRS: Final = frozenset({"ENV", "LABEL"})  # the parser gives key, value, key, value...
_MOUNT_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "src": "source",
        "dst": "target",
        "destination": "target",
        "ro": "readonly",
        "rw": "readwrite",
    }
)
_RE_INDEX: Final = re.compile(r"[0-9]+")
_RE_NEEDS_QUOTES: Final = re.compile(r"[\s\"'\[\]]")
# A score is kept when, rounded to 3 digits, it reaches the threshold; bounds skip a pair only
# when even rounding up could not get it there.
_ROUNDING: Final = 0.0005 + 1e-9


# -- normalising a Dockerfile ----------------------------------------------------------------


def normalise(dockerfile_text: str) -> list[str]:
    """The Dockerfile as canonical instruction lines: equal for the usual disguises of a copy.

    Parsed by Docker's own parser; a file it refuses gets ``crude`` instead, so a broken
    Dockerfile is still compared (with its equally broken copies) rather than dropped.
    """
    text = for_parser(decode(dockerfile_text))
    try:
        commands = go_parse(text)
    except (_parser.GoParseError, _parser.GoIOError, ValueError):
        return crude(text)
    stages: dict[str, int] = {}
    count = 0
    for command in commands:
        if command.cmd.upper() == "FROM":
            words = command.value
            if len(words) >= 3 and words[1].lower() == "as":
                stages.setdefault(words[2].lower(), count)  # Docker refuses a second one
            count += 1
    known = _Stages(stages, count)
    lines: list[str] = []
    index = -1
    for command in commands:
        if command.cmd.upper() == "FROM":
            index += 1
        line = _line(command, known, index)
        if line:
            lines.append(line)
    return lines


def crude(text: str) -> list[str]:
    """Comment and blank lines out, continuations joined, white space collapsed, keyword upper."""
    lines: list[str] = []
    pending: list[str] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        lines.append(_crude_line(" ".join([*pending, stripped])))
        pending = []
    if pending:
        lines.append(_crude_line(" ".join(pending)))
    return [line for line in lines if line]


def _crude_line(line: str) -> str:
    words = line.split()
    if not words:
        return ""
    return " ".join([words[0].upper(), *words[1:]])


def _collapse(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class _Stages:
    """The file's stage names (lower-cased) and how many stages it has."""

    names: Mapping[str, int]
    count: int

    def ref(self, value: str) -> str:
        """A ``--from``/``from=`` value: a stage by name or index becomes its index."""
        found = self.names.get(value.lower())
        if found is not None:
            return f"s{found}"
        if _RE_INDEX.fullmatch(value) and int(value) < self.count:
            return f"s{int(value)}"
        return value


_NO_STAGES: Final = _Stages(MappingProxyType({}), 0)


def _line(command: Command, stages: _Stages, index: int) -> str:
    keyword = command.cmd.upper()
    if keyword not in _KEYWORDS:  # the parser keeps no arguments of an unknown instruction
        return _crude_line(command.original)
    if keyword == "ONBUILD":
        return _onbuild(command)
    flags = sorted(_flag(flag, stages) for flag in command.flags)
    words = list(command.value)
    if keyword == "FROM":
        args = _from_args(words, stages, index)
    elif keyword in _PAIRS:
        args = " ".join(
            f"{k}={_collapse(v)}" for k, v in zip(words[::2], words[1::2], strict=False)
        )
    elif command.json and keyword in _FILE_LISTS:
        args = _words(words)
    elif keyword == "HEALTHCHECK" and words:  # CMD or NONE, then the command
        rest = _json(words[1:]) if command.json else " ".join(_collapse(w) for w in words[1:])
        args = " ".join([words[0].upper(), rest]) if rest else words[0].upper()
    elif command.json:
        args = _json(words)
    else:
        args = " ".join(_collapse(word) for word in words)
    parts = [keyword, *flags, args] if args else [keyword, *flags]
    line = " ".join(parts)
    for heredoc in command.heredocs:
        content = getattr(heredoc, "content", None) or ""
        body = [_collapse(text) for text in content.splitlines() if text.strip()]
        line = "\n".join([line, *body])
    return line


def _json(words: Sequence[str]) -> str:
    return json.dumps(list(words), ensure_ascii=False)


def _words(words: Sequence[str]) -> str:
    """File-list arguments as plain words, or JSON when one of them would need quoting."""
    if any(not word or _RE_NEEDS_QUOTES.search(word) for word in words):
        return _json(words)
    return " ".join(words)


def _from_args(words: list[str], stages: _Stages, index: int) -> str:
    if words:
        earlier = stages.names.get(words[0].lower())
        if earlier is not None and earlier < index:  # FROM names only an earlier stage
            words[0] = f"s{earlier}"
    if len(words) >= 3 and words[1].lower() == "as":
        words[1:3] = ["AS", f"s{index}"]
    return " ".join(words)


def _flag(flag: str, stages: _Stages) -> str:
    name, has_value, value = flag.partition("=")
    if not has_value:
        return flag
    if name == "--from":
        value = stages.ref(value)
    elif name == "--mount":
        value = _mount(value, stages)
    return f"{name}={value}"


def _mount(value: str, stages: _Stages) -> str:
    """One ``--mount`` value with its keys lower-cased, de-aliased and sorted, as BuildKit reads."""
    try:
        fields = next(csv.reader([value], strict=True), [])
    except csv.Error:
        return value
    parts: list[str] = []
    typed = False
    for item in fields:
        key, has_value, text = item.partition("=")
        key = key.strip().lower()
        key = _MOUNT_ALIASES.get(key, key)
        if key == "type":
            typed, text = True, text.lower()
        elif key == "from":
            text = stages.ref(text)
        parts.append(f"{key}={text}" if has_value else key)
    if not typed:
        parts.append("type=bind")  # BuildKit's default
    return ",".join(sorted(parts))


def _onbuild(command: Command) -> str:
    """ONBUILD and its instruction, normalised on its own (its --from is the child build's)."""
    _, start = split_command(command.original)
    try:
        inner = go_parse(for_parser(command.original[start:]))
    except (_parser.GoParseError, _parser.GoIOError, ValueError):
        inner = []
    if len(inner) != 1 or inner[0].cmd.upper() in ("ONBUILD", "FROM"):
        return _crude_line(command.original)
    return f"ONBUILD {_line(inner[0], _NO_STAGES, -1)}"


# -- digests of the build context ------------------------------------------------------------


_VCS = frozenset((".git", ".hg", ".svn"))


def source_digests(
    context: Path,
    dockerfile: Path,
    *,
    max_files: int = 2000,
    max_bytes: int = 64 * MiB,
) -> dict[str, str]:
    """SHA-256 of each file a build of ``dockerfile`` in ``context`` sees, by posix path.

    The same files as ``grader.buildcontext.pack`` packs (docker-py's .dockerignore matcher),
    but the Dockerfile, .dockerignore and version control's folders (the ``.git`` of a context
    at the repository's root differs between any two clones). Symlinks are never followed: one
    is hashed as ``link:<target>``; fifos, sockets and devices are skipped. Stops quietly after
    ``max_files`` files or ``max_bytes`` read, and gives ``{}`` for a context it cannot walk:
    the report is advisory, never a reason for grading to fail.
    """
    root = context.resolve()
    try:
        relative: str | None = dockerfile.resolve().relative_to(root).as_posix()
    except ValueError:
        relative = None
    try:
        patterns = dockerignore_patterns(root)
        # "!.dockerignore" is the matcher's own: a no-op when the Dockerfile is elsewhere
        paths = sorted(
            exclude_paths(str(root), list(patterns), dockerfile=relative or ".dockerignore")
        )
    except (OSError, ValueError, re.error):  # the build itself cannot be packed either
        return {}
    found: dict[str, str] = {}
    budget = max_bytes
    for rel in paths:
        posix = PurePath(rel)
        if posix.as_posix() in (relative, ".dockerignore") or _VCS & set(posix.parts):
            continue
        if len(found) >= max_files:
            break
        full = root / rel
        try:
            info = full.lstat()
            if stat.S_ISLNK(info.st_mode):
                target = os.fsencode(os.readlink(full))
                found[_posix(rel)] = hashlib.sha256(b"link:" + target).hexdigest()
                continue
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue  # directories are walked; fifos, sockets and devices are nothing to read
        if info.st_size > budget:
            break
        read = _hash_file(full, budget)
        if read is None:
            continue
        digest, size = read
        if size > budget:
            break
        found[_posix(rel)] = digest
        budget -= size
    return found


def _posix(rel: str) -> str:
    """A path of the walk as a posix string that JSON can hold (odd bytes escaped)."""
    return os.fsencode(PurePath(rel).as_posix()).decode("utf-8", "backslashreplace")


def _hash_file(path: Path, limit: int) -> tuple[str, int] | None:
    """Digest and size of a regular file, opened without following a link; None if unreadable.

    Reads at most ``limit + 1`` bytes: a size over the limit means the file grew past the
    budget since its lstat, and the digest is then not to be used.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):  # swapped since the lstat
            return None
        hasher = hashlib.sha256()
        size = 0
        for chunk in read_upto(handle, limit + 1):
            hasher.update(chunk)
            size += len(chunk)
        return hasher.hexdigest(), size
    except OSError:
        return None
    finally:
        os.close(handle)


# -- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """Students of one task with the same normalised Dockerfile and own files."""

    members: list[str]  # sorted
    lines: tuple[int, ...]  # the normalised lines, interned
    own: frozenset[str]  # digests of own files
    bag: int  # the lines as a multiset: one bit per (line, its nth time in the file)
    distinct: frozenset[int] | None  # the lines, when none appears twice

    @property
    def first(self) -> str:
        return self.members[0]


class _Edge(NamedTuple):
    """Two groups at or above the threshold; sorts best first, then by names."""

    order: float  # minus the unrounded score
    names: tuple[str, str]
    a: int
    b: int
    dockerfile: float
    sources: float | None

    def pair(self) -> SimilarPair:
        return SimilarPair(
            students=self.names,
            score=round(-self.order, 3),
            dockerfile=round(self.dockerfile, 3),
            sources=None if self.sources is None else round(self.sources, 3),
        )


def similarity(
    results: Results, *, threshold: float = 0.9, task_order: Sequence[str] | None = None
) -> SimilarityReport:
    """Clusters of alike submissions per task, from results alone (no I/O, deterministic).

    Rows count when graded or in error and their task has a Dockerfile (an empty one is no
    work to compare). A student listed twice counts once, by their last row. Tasks come in
    ``task_order`` (the rubric's), then any others in the order the rows first name them.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], not {threshold}")
    by_task: dict[str, dict[str, TaskResult]] = {}
    for row in results.submissions:
        if row.status not in ("graded", "error"):
            continue
        for task in row.tasks:
            if task.dockerfile_text is not None:
                by_task.setdefault(task.id, {})[row.student] = task
    order = list(dict.fromkeys([*(task_order or ()), *by_task]))
    compared: dict[str, int] = {}
    clusters: list[Cluster] = []
    normalised: dict[str, tuple[str, ...]] = {}  # many rows hand in the very same text
    for task_id in order:
        entries: list[tuple[str, tuple[str, ...], frozenset[str]]] = []
        for student, task in by_task.get(task_id, {}).items():
            text = task.dockerfile_text or ""
            if text not in normalised:
                normalised[text] = tuple(normalise(text))
            if normalised[text]:
                entries.append((student, normalised[text], frozenset(task.sources.values())))
        compared[task_id] = len(entries)
        clusters.extend(_task_clusters(task_id, entries, threshold))
    return SimilarityReport(threshold=threshold, clusters=clusters, compared=compared)


def template_digests(sources: Iterable[frozenset[str]]) -> frozenset[str]:
    """Contents held by more than half of the submissions and by at least 3: the class's."""
    held = list(sources)
    counts = Counter(digest for digests in held for digest in digests)
    return frozenset(d for d, n in counts.items() if n >= 3 and n * 2 > len(held))


def _groups(entries: Sequence[tuple[str, tuple[str, ...], frozenset[str]]]) -> list[_Group]:
    """The submissions grouped by identical work (template files left out), by first member."""
    template = template_digests(digests for _, _, digests in entries) | {EMPTY_SHA256}
    interned: dict[str, int] = {}
    by_work: dict[tuple[tuple[int, ...], frozenset[str]], list[str]] = {}
    for student, lines, digests in entries:
        ids = tuple(interned.setdefault(line, len(interned)) for line in lines)
        by_work.setdefault((ids, digests - template), []).append(student)
    bits: dict[tuple[int, int], int] = {}
    groups: list[_Group] = []
    for (ids, own), members in by_work.items():
        seen: Counter[int] = Counter()
        bag = 0
        for line in ids:
            bag |= 1 << bits.setdefault((line, seen[line]), len(bits))
            seen[line] += 1
        distinct = frozenset(ids) if len(seen) == len(ids) else None
        groups.append(_Group(sorted(members), ids, own, bag, distinct))
    return sorted(groups, key=lambda g: g.first)


def _task_clusters(
    task_id: str,
    entries: Sequence[tuple[str, tuple[str, ...], frozenset[str]]],
    threshold: float,
) -> list[Cluster]:
    groups = _groups(entries)
    parent = list(range(len(groups)))

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    linking: list[_Edge] = []
    for edge in sorted(_edges(groups, threshold)):  # Kruskal, best first: a maximum forest
        a, b = find(edge.a), find(edge.b)
        if a != b:
            parent[max(a, b)] = min(a, b)
            linking.append(edge)
    components: dict[int, list[int]] = {}
    for node in range(len(groups)):
        components.setdefault(find(node), []).append(node)
    tree: dict[int, list[_Edge]] = {}
    for edge in linking:
        tree.setdefault(find(edge.a), []).append(edge)
    found: list[Cluster] = []
    for root, nodes in components.items():
        members = sorted(s for node in nodes for s in groups[node].members)
        if len(members) < 2:
            continue
        links = tree.get(root, [])  # best first already
        found.append(
            Cluster(
                task=task_id,
                students=members,
                identical=len(nodes) == 1,
                score=round(-links[-1].order, 3) if links else 1.0,
                groups=sorted((groups[n].members for n in nodes), key=lambda m: (-len(m), m)),
                pairs=[edge.pair() for edge in links[:MAX_PAIRS]],
            )
        )
    found.sort(key=lambda c: (-len(c.students), -c.score, c.students))
    return found


def _edges(groups: Sequence[_Group], threshold: float) -> list[_Edge]:
    """Every pair of distinct groups whose rounded score reaches the threshold.

    Groups are taken shortest first, so for each one the shorter candidates are walked
    longest first and the walk stops where lengths alone rule a match out. difflib's two
    upper bounds of the ratio come before it: lengths, then shared lines (as bit sets here:
    the same number as ``quick_ratio`` at a fraction of its cost).
    """
    cutoff = threshold - _ROUNDING
    # the least the Dockerfile part must reach in any pair: a perfect sources part lifts it
    floor = 2 * cutoff - 1 if any(g.own for g in groups) else cutoff
    by_length = sorted(range(len(groups)), key=lambda i: (len(groups[i].lines), groups[i].first))
    # one matcher per group, holding it as the second sequence (what difflib indexes)
    matchers = [SequenceMatcher[int](None, (), g.lines, autojunk=False) for g in groups]
    found: list[_Edge] = []
    for position, j in enumerate(by_length):
        second = groups[j]
        long = len(second.lines)
        for i in reversed(by_length[:position]):
            first = groups[i]
            short = len(first.lines)
            total = short + long
            if 2 * short / total < floor:  # real_quick_ratio, and every shorter one is lower
                break
            sources = _jaccard(first.own, second.own)
            need = cutoff if sources is None else 2 * cutoff - sources
            shared = (first.bag & second.bag).bit_count()
            bound = 2 * shared / total  # quick_ratio
            if bound < need:
                continue
            if _in_order(first, second):
                part = bound  # what difflib would find: see _in_order
            else:
                part = _ratio(matchers[j], first.lines)
                if part < bound:  # difflib's ratio is not symmetric: the better of the two
                    part = max(part, _ratio(matchers[i], second.lines))
            if part < need:
                continue
            raw = part if sources is None else (part + sources) / 2
            if round(raw, 3) >= threshold:
                a, b = sorted((first.first, second.first))
                found.append(_Edge(-raw, (a, b), i, j, part, sources))
    return found


def _ratio(matcher: SequenceMatcher[int], first: tuple[int, ...]) -> float:
    matcher.set_seq1(first)
    return matcher.ratio()


def _in_order(first: _Group, second: _Group) -> bool:
    """Neither file repeats a line, and the lines they share come in the same order in both.

    Then difflib's matching blocks cover every shared line (each longest block is a run of the
    shared sequence, and the parts left and right of it keep the property), so the ratio is the
    quick ratio and need not be computed: the usual case of a copy with lines changed in place,
    and the slow one in a class of near copies. A repeated line breaks the argument (a block
    can then pair a line with the wrong one of its copies), so those files get difflib's own.
    """
    if first.distinct is None or second.distinct is None:
        return False
    return [x for x in first.lines if x in second.distinct] == [
        x for x in second.lines if x in first.distinct
    ]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float | None:
    """The index of two sets of own files; None when either side has none.

    A copied Dockerfile beside one file of one's own is still a copy: the Dockerfile part alone
    then shows it, where an index of 0 would halve its score.
    """
    if not a or not b:
        return None
    return len(a & b) / len(a | b)
