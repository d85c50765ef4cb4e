"""metadata: what the built image declares in its config (USER, EXPOSE, CMD, ENV, ...).

Judged from the image's config alone, so the verdict is the same for every builder and nothing
runs. Each expectation the criterion gives is one item (each port, variable, label and volume
its own); all must hold for a pass, and with ``partial_credit`` the fraction is items met over
items given.

Where container-structure-test's metadata test has the same field, grader agrees with it:
exact ENTRYPOINT / CMD lists (``[]`` and no value are the same), exact USER and WORKDIR,
regexes searched anywhere in the value. Where grader differs, on purpose:

- Ports: a port without a protocol means TCP, and the image's ports are compared with their
  protocol. container-structure-test drops the protocol from the image's ports, so its '8080'
  also matches an image that exposes only 8080/udp, and its '8080/tcp' never matches.
- ``user: ''`` and ``workdir: ''`` require no USER / no WORKDIR; container-structure-test
  reads an empty string as "not checked".
- An ENV or LABEL given with neither ``value`` nor ``regex`` only needs to be set; in
  container-structure-test a missing value is the empty string, which must match exactly.
  ``labels[].absent`` has no counterpart there (its ``unboundEnvVars`` is our ``env[].unset``).
- Regexes are Python's (``re.search``), not Go's RE2; the syntax they share behaves the same.
- Volumes ignore trailing and doubled slashes on both sides: ``VOLUME /data/`` declares the
  same volume as /data, though container-structure-test compares the strings.
- ``non_root``, ``exec_form`` and ``healthcheck`` are grader's own. A USER is root when its
  user part is empty, 'root' or a number equal to 0 (so '0:1000' and '00' are root); a named
  user other than root passes, with a note, since only the image's /etc/passwd tells its uid.
  Shell form is an ENTRYPOINT or CMD that starts with the config's SHELL, or with
  ``/bin/sh -c`` when no SHELL is set; a JSON-form CMD written as ``["/bin/sh", "-c", ...]``
  counts as shell form too, because the config cannot tell them apart and the shell is PID 1
  either way. An image with neither ENTRYPOINT nor CMD has nothing in shell form and passes.
  A HEALTHCHECK of ``NONE`` (which switches off an inherited one) counts as none.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.capped import clipped
from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.models.image import ImageConfig
from grader.models.image_criteria import EnvExpectation, LabelExpectation, Metadata
from grader.models.results import Evidence
from grader.models.rubric import Task

_VALUE_CHARS = 200  # each value shown in the evidence: student text, kept short
_MESSAGE_CHARS = 60  # each rubric value named in the message
_LISTED = 3  # failures named in the message before "and N more"
_DEFAULT_SHELL = ("/bin/sh", "-c")
_ARTICLE = {"ENTRYPOINT": "an", "CMD": "a"}


@dataclass(frozen=True)
class _Item:
    """One expectation, judged: a label for the message when met, a problem when not."""

    met: bool
    label: str
    problem: str
    expected: str
    actual: str
    note: str | None = None


def needs(criterion: Metadata, task: Task) -> Needs:
    """The built image's config."""
    return Needs(build=True, config=True)


def _cap(text: str, limit: int = _VALUE_CHARS) -> str:
    """One line, at most ``limit`` characters: values are student text, shown downstream."""
    return clipped(text, limit)


def _named(text: str) -> str:
    """A rubric value as the message names it."""
    return _cap(text, _MESSAGE_CHARS)


def _listed(values: Sequence[str], limit: int = _VALUE_CHARS) -> str:
    """A JSON array, as exec form is written in a Dockerfile."""
    return _cap(json.dumps(list(values), ensure_ascii=False), limit)


def _port(spec: str) -> str:
    """'8080' and '8080/tcp' alike as '8080/tcp'; a protocol-less port is TCP (OCI, Docker)."""
    number, _, protocol = spec.strip().partition("/")
    if number.isascii() and number.isdigit():
        number = str(int(number))
    return f"{number}/{(protocol or 'tcp').lower()}"


def _volume(path: str) -> str:
    """A volume path without doubled or trailing slashes."""
    return re.sub("/+", "/", path).rstrip("/") or "/"


def _is_root(user: str) -> bool:
    """Whether USER runs as uid 0: the user part empty, 'root', or a number equal to 0."""
    name = user.partition(":")[0]
    return name in ("", "root") or (name.isascii() and name.isdigit() and int(name) == 0)


def _user_items(criterion: Metadata, config: ImageConfig) -> list[_Item]:
    """USER exactly, and non_root: both read the same config string."""
    items: list[_Item] = []
    actual = f"USER {_cap(config.user)}" if config.user else "no USER"
    if criterion.user is not None:
        if criterion.user:
            wanted = f"USER {_named(criterion.user)}"
            problem = f"USER is not {_named(criterion.user)}"
        else:
            wanted, problem = "no USER", "a USER is set"
        items.append(
            _Item(
                met=config.user == criterion.user,
                label=wanted,
                problem=problem,
                expected=f"USER {_cap(criterion.user)}" if criterion.user else "no USER",
                actual=actual,
            )
        )
    if criterion.non_root:
        root = _is_root(config.user)
        name = config.user.partition(":")[0]
        by_name = not root and not (name.isascii() and name.isdigit())
        note = (
            f"USER {_named(name)} is a name, taken as not root: only the image's /etc/passwd "
            "tells its uid"
            if by_name
            else None
        )
        items.append(
            _Item(
                met=not root,
                label="USER not root",
                problem="USER runs as root" if config.user else "no USER: runs as root",
                expected="a USER other than root (uid 0)",
                actual=actual,
                note=note,
            )
        )
    return items


def _port_items(criterion: Metadata, config: ImageConfig) -> list[_Item]:
    """One item per port, compared with its protocol (TCP when none is written)."""
    exposed = [_port(p) for p in config.exposed_ports]
    actual = f"EXPOSE {_cap(' '.join(exposed))}" if exposed else "nothing EXPOSEd"
    items = [
        _Item(
            met=port in exposed,
            label=f"EXPOSE {port}",
            problem=f"{port} is not EXPOSEd",
            expected=f"EXPOSE {port}",
            actual=actual,
        )
        for port in map(_port, criterion.exposed_ports)
    ]
    items += [
        _Item(
            met=port not in exposed,
            label=f"{port} not EXPOSEd",
            problem=f"{port} is EXPOSEd",
            expected=f"{port} not EXPOSEd",
            actual=actual,
        )
        for port in map(_port, criterion.unexposed_ports)
    ]
    return items


def _command_item(what: str, wanted: list[str], actual: list[str] | None) -> _Item:
    """ENTRYPOINT or CMD exactly; no value and [] are both none, as in container-structure-test."""
    actual = actual or []
    return _Item(
        met=actual == wanted,
        label=f"{what} {_listed(wanted, _MESSAGE_CHARS)}" if wanted else f"no {what}",
        problem=f"{what} differs" if wanted else f"{_ARTICLE[what]} {what} is set",
        expected=f"{what} {_listed(wanted)}" if wanted else f"no {what}",
        actual=f"{what} {_listed(actual)}" if actual else f"no {what}",
    )


def _exec_form_item(config: ImageConfig) -> _Item:
    """Shell form is what the config shows: the SHELL (or /bin/sh -c) as the first arguments."""
    shell = tuple(config.shell or _DEFAULT_SHELL)
    forms = [("ENTRYPOINT", config.entrypoint), ("CMD", config.cmd)]
    declared = [(what, value) for what, value in forms if value]
    shell_form = [(what, v) for what, v in declared if tuple(v[: len(shell)]) == shell]
    if shell_form:
        names = " and ".join(what for what, _ in shell_form)
        verb = "are" if len(shell_form) > 1 else "is"
        actual = "; ".join(f"{what} {_listed(v)}: shell form" for what, v in shell_form)
    else:
        names, verb = "", ""
        shown = [f"{what} {_listed(v)}" for what, v in declared]
        actual = "; ".join(shown) + ": exec form" if shown else "no ENTRYPOINT or CMD"
    return _Item(
        met=not shell_form,
        label="exec form",
        problem=f"{names} {verb} in shell form",
        expected=f"ENTRYPOINT and CMD in exec form, not starting with {_listed(shell)}",
        actual=actual,
    )


def _keyed_item(
    what: str,
    wanted: EnvExpectation | LabelExpectation,
    values: dict[str, str],
    *,
    must_lack: bool,
) -> _Item:
    """One ENV variable or LABEL: its value, a pattern it matches, just set, or not set."""
    key = wanted.key
    named = _named(key)
    value = values.get(key)
    actual = f"{what} {_cap(key)}={_cap(value)}" if value is not None else f"no {what} {_cap(key)}"
    if must_lack:
        return _Item(
            met=value is None,
            label=f"no {what} {named}",
            problem=f"{what} {named} is set",
            expected=f"no {what} {_cap(key)}",
            actual=actual,
        )
    if value is None:
        met, problem = False, f"{what} {named} is not set"
    elif wanted.regex is not None:
        met, problem = re.search(wanted.regex, value) is not None, f"{what} {named} does not match"
    elif wanted.value is not None:
        met, problem = value == wanted.value, f"{what} {named} has another value"
    else:
        met, problem = True, ""
    if wanted.regex is not None:
        expected = f"{what} {_cap(key)} matching /{_cap(wanted.regex)}/"
    elif wanted.value is not None:
        expected = f"{what} {_cap(key)}={_cap(wanted.value)}"
    else:
        expected = f"{what} {_cap(key)} set"
    return _Item(
        met=met, label=f"{what} {named}", problem=problem, expected=expected, actual=actual
    )


def _workdir_item(wanted: str, config: ImageConfig) -> _Item:
    """WORKDIR exactly; '' requires none."""
    return _Item(
        met=config.workdir == wanted,
        label=f"WORKDIR {_named(wanted)}" if wanted else "no WORKDIR",
        problem=f"WORKDIR is not {_named(wanted)}" if wanted else "a WORKDIR is set",
        expected=f"WORKDIR {_cap(wanted)}" if wanted else "no WORKDIR",
        actual=f"WORKDIR {_cap(config.workdir)}" if config.workdir else "no WORKDIR",
    )


def _healthcheck_item(wanted: bool, config: ImageConfig) -> _Item:
    """A HEALTHCHECK declared or not; NONE switches an inherited one off, so it counts as none."""
    test = config.healthcheck
    declared = bool(test and test[0] != "NONE")
    if not test:
        actual = "no HEALTHCHECK"
    else:
        actual = f"HEALTHCHECK {_listed(test)}" if declared else "HEALTHCHECK NONE"
    return _Item(
        met=declared == wanted,
        label="HEALTHCHECK" if wanted else "no HEALTHCHECK",
        problem="no HEALTHCHECK" if wanted else "a HEALTHCHECK is declared",
        expected="a HEALTHCHECK" if wanted else "no HEALTHCHECK (or HEALTHCHECK NONE)",
        actual=actual,
    )


def _volume_items(criterion: Metadata, config: ImageConfig) -> list[_Item]:
    """One item per path; '/data/' and '/data' are the same volume."""
    declared = {_volume(v) for v in config.volumes}
    shown = " ".join(sorted(config.volumes))
    actual = f"VOLUME {_cap(shown)}" if config.volumes else "no VOLUME"
    items = [
        _Item(
            met=_volume(path) in declared,
            label=f"VOLUME {_named(path)}",
            problem=f"{_named(path)} is not a VOLUME",
            expected=f"VOLUME {_cap(path)}",
            actual=actual,
        )
        for path in criterion.volumes
    ]
    items += [
        _Item(
            met=_volume(path) not in declared,
            label=f"{_named(path)} not a VOLUME",
            problem=f"{_named(path)} is a VOLUME",
            expected=f"{_cap(path)} not a VOLUME",
            actual=actual,
        )
        for path in criterion.unmounted_volumes
    ]
    return items


def _items(criterion: Metadata, config: ImageConfig) -> list[_Item]:
    """Every expectation given, in the order the criterion's fields come."""
    items = _user_items(criterion, config) + _port_items(criterion, config)
    if criterion.entrypoint is not None:
        items.append(_command_item("ENTRYPOINT", criterion.entrypoint, config.entrypoint))
    if criterion.cmd is not None:
        items.append(_command_item("CMD", criterion.cmd, config.cmd))
    if criterion.exec_form:
        items.append(_exec_form_item(config))
    items += [_keyed_item("ENV", e, config.env, must_lack=e.unset) for e in criterion.env]
    items += [
        _keyed_item("LABEL", label, config.labels, must_lack=label.absent)
        for label in criterion.labels
    ]
    if criterion.workdir is not None:
        items.append(_workdir_item(criterion.workdir, config))
    if criterion.healthcheck is not None:
        items.append(_healthcheck_item(criterion.healthcheck, config))
    return items + _volume_items(criterion, config)


def _first_few(parts: Sequence[str]) -> str:
    """The first few, then how many more: a message stays short however many failed."""
    shown = ", ".join(parts[:_LISTED])
    more = len(parts) - _LISTED
    return f"{shown} and {more} more" if more > 0 else shown


def evaluate(criterion: Metadata, facts: Facts) -> Outcome:
    """Judge every expectation against the config; all or nothing unless partial credit."""
    config = facts.config
    assert config is not None
    items = _items(criterion, config)
    failed = [item for item in items if not item.met]
    total, met = len(items), len(items) - len(failed)
    notes = [item.note for item in items if item.note is not None]
    shown = failed or items
    evidence = Evidence(
        expected="\n".join(item.expected for item in shown),
        actual="\n".join(item.actual for item in shown),
    )
    if not failed:
        message = f"as expected: {_first_few([item.label for item in items])}"
    else:
        counted = f"{met} of {total} expectations met; " if total > 1 else ""
        message = counted + _first_few([item.problem for item in failed])
    message = "; ".join([message, *notes])
    all_or_nothing = 0.0 if failed else 1.0
    fraction = met / total if criterion.partial_credit else all_or_nothing
    return Outcome(passed=not failed, message=message, fraction=fraction, evidence=evidence)


KIND = CheckKind[Metadata](title="Image metadata", needs=needs, evaluate=evaluate)
