"""command, file_content, the stat of paths_present and layer_efficiency, judged on facts made
by hand (the real engine's are in tests/engine/test_image_kinds.py)."""

from __future__ import annotations

import dataclasses

import pytest

from grader.checks import command, file_content, layer_efficiency, paths
from grader.checks.base import CommandOutcome
from grader.models.image import Efficiency, FileFacts, Waste
from tests.checks.helpers import criterion, facts, run, task

# -- command ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("$HOME/bin", "/root/bin"),
        ("${HOME}x", "/rootx"),
        ("$UNKNOWN-", "-"),  # an unknown name is nothing, as in Go
        ("cost: $", "cost: $"),  # a dollar at the end stays
        ("a $ b", "a $ b"),  # not followed by a name: stays
        ("${}", ""),  # bad syntax is eaten
        ("${HOME", "HOME"),  # "${" without its brace is eaten, the rest stays
        ("$1$$", "one"),  # special one-character names ($$ is the name "$": unset)
        ("${1}", "one"),
        ("$HOME_DIR", ""),  # names run over letters, digits and _
        ("100%", "100%"),
    ],
)
def test_expand_matches_gos_os_expand(text, expanded):
    env = {"HOME": "/root", "1": "one"}
    assert command.expand([text], env) == [expanded]


def _judge_command(c, outcome: CommandOutcome):
    spec = command.spec(c)
    the_facts = dataclasses.replace(facts(task(c)), commands={spec: outcome})
    return command.evaluate(c, the_facts)


def test_command_patterns_and_exit_code_all_hold():
    c = criterion(
        check="command",
        command=["app", "--version"],
        expected_output=[r"^app \d+\.\d+"],
        excluded_output=["error"],
        expected_error=["warning"],
        exit_code=0,
    )
    outcome = _judge_command(
        c, CommandOutcome(setup=(), run=run("app 1.2\n", stderr="warning: old\n"))
    )
    assert outcome.passed, outcome.message
    assert outcome.message == "`app --version` ran as expected (exit status 0)"
    assert outcome.evidence.expected.splitlines()[0] == "$ app --version"


def test_command_failures_are_listed():
    c = criterion(
        check="command",
        command=["app"],
        expected_output=["^ok$"],
        excluded_error=["panic"],
        exit_code=0,
    )
    outcome = _judge_command(
        c, CommandOutcome(setup=(), run=run("nope\n", stderr="panic!\n", exit_code=2))
    )
    assert not outcome.passed
    assert outcome.message == (
        "`app`: stdout does not match /^ok$/; stderr matches /panic/ (and 1 more)"
    )
    assert "exit status 2" in outcome.evidence.actual
    assert "stderr:\npanic!" in outcome.evidence.actual


def test_a_failing_setup_ends_the_command():
    c = criterion(check="command", command=["true"], setup=[["prepare"], ["more"]])
    outcome = _judge_command(
        c, CommandOutcome(setup=(run("", exit_code=0), run("", exit_code=5)), run=None)
    )
    assert not outcome.passed
    assert outcome.message == "setup command 2 (more) exited with status 5"


def test_a_command_that_never_ends():
    c = criterion(check="command", command=["sleep", "9"])
    endless = run("", exit_code=137, timed_out=True)
    outcome = _judge_command(c, CommandOutcome(setup=(), run=endless))
    assert not outcome.passed
    assert outcome.message == "`sleep 9` was still running after 0.1 s and was stopped"


def test_equal_commands_share_one_run():
    one = criterion(check="command", id="a", command=["x"], env={"B": "2", "A": "1"})
    other = criterion(check="command", id="b", command=["x"], env={"A": "1", "B": "2"})
    assert command.spec(one) == command.spec(other)
    assert command.needs(one, task(one)).commands == command.needs(other, task(other)).commands


# -- file_content ----------------------------------------------------------------------------


def _judge_file(c, found: FileFacts):
    the_facts = dataclasses.replace(facts(task(c)), files={c.path: found})
    return file_content.evaluate(c, the_facts)


def _file(text: str | None, **extra) -> FileFacts:
    fields = {"path": "/etc/app.conf", "exists": True, "type": "file", "text": text}
    return FileFacts(**{**fields, **extra})


def test_file_content_expected_and_excluded():
    c = criterion(
        check="file_content", path="/etc/app.conf", expected=["^port: 80$"], excluded=["secret"]
    )
    assert _judge_file(c, _file("port: 80")).passed
    outcome = _judge_file(c, _file("port: 81\nsecret: x"))
    assert not outcome.passed
    assert outcome.message == "/etc/app.conf does not match /^port: 80$/; matches /secret/"


def test_file_content_missing_unreadable_and_linked():
    c = criterion(check="file_content", path="/etc/app.conf", expected=["x"])
    missing = _judge_file(c, FileFacts(path="/etc/app.conf", exists=False))
    assert missing.message == "/etc/app.conf is not in the image"
    directory = _judge_file(c, _file(None, type="dir", error="/etc/app.conf is a directory"))
    assert directory.message == "/etc/app.conf is a directory"
    linked = _judge_file(c, _file("x", type="symlink", resolved="/opt/real.conf"))
    assert linked.message == "/etc/app.conf (a symlink to /opt/real.conf) holds what it should"


def test_a_long_file_is_judged_on_what_was_read():
    c = criterion(check="file_content", path="/etc/app.conf", excluded=["end"], max_bytes=4)
    outcome = _judge_file(c, _file("abcd", truncated=True, size=10**9))
    assert outcome.passed
    assert outcome.evidence.actual.startswith("the first 4 B of /etc/app.conf:")
    failing = criterion(check="file_content", path="/etc/app.conf", expected=["z"], max_bytes=4)
    message = _judge_file(failing, _file("abcd", truncated=True)).message
    assert message == "/etc/app.conf (judged on its first 4 B) does not match /z/"


# -- paths_present with a stat -----------------------------------------------------------------


def _stat(path: str, mode: int, mode_string: str, uid: int = 0, gid: int = 0) -> FileFacts:
    return FileFacts(
        path=path, exists=True, type="file", mode=mode, mode_string=mode_string, uid=uid, gid=gid
    )


def test_paths_present_needs_a_stat_only_when_asked():
    plain = criterion(check="paths_present", paths=["/app"])
    assert paths.needs(plain, task(plain)).paths == frozenset({"/app"})
    stat = criterion(check="paths_present", paths=["/app"], uid=0)
    assert paths.needs(stat, task(stat)).files == frozenset({("/app", 0)})


@pytest.mark.parametrize(
    ("asked", "passed"),
    [
        ({"mode": "0755"}, True),
        ({"mode": "-rwxr-xr-x"}, True),
        ({"mode": "0750"}, False),
        ({"mode": "drwxr-xr-x"}, False),
        ({"uid": 1000}, True),
        ({"gid": 0}, False),
        ({"executable_by": "other"}, True),
        ({"executable_by": "any"}, True),
    ],
)
def test_paths_present_mode_and_owner(asked, passed):
    c = criterion(check="paths_present", paths=["/app"], **asked)
    found = _stat("/app", 0o755, "-rwxr-xr-x", uid=1000, gid=1000)
    outcome = paths.evaluate_present(c, dataclasses.replace(facts(task(c)), files={"/app": found}))
    assert outcome.passed is passed, outcome.message


def test_paths_present_names_every_mismatch():
    c = criterion(
        check="paths_present", paths=["/a", "/b"], mode="0644", executable_by="owner", uid=1
    )
    files = {
        "/a": _stat("/a", 0o600, "-rw-------", uid=1),
        "/b": FileFacts(path="/b", exists=False),
    }
    outcome = paths.evaluate_present(c, dataclasses.replace(facts(task(c)), files=files))
    assert not outcome.passed
    assert outcome.message == (
        "/a: mode 0600, expected 0644; /a: not executable by owner (-rw-------) (and 1 more)"
    )
    assert outcome.evidence.actual == "/a: -rw------- uid 1 gid 0\n/b: missing"


# -- layer_efficiency --------------------------------------------------------------------------


def _efficiency(value: float, wasted: int, user: int = 100_000_000) -> Efficiency:
    return Efficiency(
        efficiency=value,
        size_bytes=user + 5_000_000,
        user_size_bytes=user,
        wasted_bytes=wasted,
        user_wasted=wasted / user,
        layers=4,
        inefficiencies=[Waste(path="/tmp/download", count=2, bytes=wasted)] if wasted else [],
    )


def _judge_layers(c, found: Efficiency):
    return layer_efficiency.evaluate(c, dataclasses.replace(facts(task(c)), efficiency=found))


def test_layer_efficiency_thresholds_as_dive_decides():
    c = criterion(check="layer_efficiency", min_efficiency=0.9, max_wasted_bytes="20MB")
    assert _judge_layers(c, _efficiency(0.9, 20_000_000)).passed  # equal to the limit passes
    outcome = _judge_layers(c, _efficiency(0.89, 20_000_001))
    assert not outcome.passed
    assert outcome.fraction == 0
    assert outcome.message == (
        "efficiency 89.0%, efficiency at least 90.0%; "
        "wasted bytes 20.0 MB, wasted bytes at most 20.0 MB"
    )
    assert "/tmp/download: 20.0 MB in 2 layers" in outcome.evidence.actual
    assert outcome.hint is not None
    assert outcome.hint.startswith("/tmp/download is held by")


def test_layer_efficiency_partial_credit_between_limit_and_zero():
    c = criterion(
        check="layer_efficiency",
        min_efficiency=0.9,
        efficiency_zero_at=0.5,
        max_user_wasted=0.1,
        user_wasted_zero_at=0.3,
    )
    outcome = _judge_layers(c, _efficiency(0.7, 20_000_000))  # user wasted 0.2
    assert outcome.fraction == pytest.approx((0.5 + 0.5) / 2)
    outcome = _judge_layers(c, _efficiency(0.95, 40_000_000))  # user wasted 0.4: zero
    assert outcome.fraction == pytest.approx((1 + 0) / 2)


def test_layer_efficiency_refuses_an_empty_or_inverted_criterion():
    with pytest.raises(ValueError, match="expects nothing"):
        criterion(check="layer_efficiency")
    with pytest.raises(ValueError, match="'efficiency_zero_at' must be smaller"):
        criterion(check="layer_efficiency", min_efficiency=0.5, efficiency_zero_at=0.8)
    with pytest.raises(ValueError, match="'wasted_bytes_zero_at' needs 'max_wasted_bytes'"):
        criterion(check="layer_efficiency", min_efficiency=0.5, wasted_bytes_zero_at=10)


def test_a_path_the_engine_cannot_stat_fails_with_why():
    c = criterion(check="paths_present", paths=["/loop"], executable_by="any")
    loop = FileFacts(path="/loop", exists=True, type="symlink", error="/loop is a loop of symlinks")
    outcome = paths.evaluate_present(c, dataclasses.replace(facts(task(c)), files={"/loop": loop}))
    assert not outcome.passed
    assert outcome.message == "/loop: /loop is a loop of symlinks"
