import dataclasses

import pytest
from pydantic import ValidationError

from grader.checks import metadata
from grader.checks.base import Needs
from grader.models.image import ImageConfig
from tests.checks.helpers import criterion, facts, task


def meta(**fields):
    return criterion(check="metadata", **fields)


def judge(c, **config):
    gathered = dataclasses.replace(facts(task(c)), config=ImageConfig(**config))
    return metadata.evaluate(c, gathered)


def test_needs_the_build_and_its_config():
    c = meta(user="app")
    assert metadata.needs(c, task(c)) == Needs(build=True, config=True)
    assert metadata.KIND.title


def test_a_config_is_required():
    c = meta(user="app")
    with pytest.raises(AssertionError):
        metadata.evaluate(c, facts(task(c)))


# USER


def test_user_exact():
    outcome = judge(meta(user="app"), user="app")
    assert outcome.passed
    assert outcome.fraction == 1.0
    assert outcome.message == "as expected: USER app"


def test_user_differs():
    outcome = judge(meta(user="1000:1000"), user="1000")
    assert not outcome.passed
    assert outcome.fraction == 0.0
    assert outcome.message == "USER is not 1000:1000"
    assert outcome.evidence.expected == "USER 1000:1000"
    assert outcome.evidence.actual == "USER 1000"


def test_user_empty_means_no_user():
    assert judge(meta(user=""), user="").passed
    outcome = judge(meta(user=""), user="app")
    assert not outcome.passed
    assert outcome.message == "a USER is set"


@pytest.mark.parametrize("user", ["", "root", "0", "00", "root:app", "0:1000", ":1000"])
def test_non_root_fails_for_root(user):
    outcome = judge(meta(non_root=True), user=user)
    assert not outcome.passed
    assert "root" in outcome.message
    expected_actual = f"USER {user}" if user else "no USER"
    assert outcome.evidence.actual == expected_actual


def test_non_root_without_user_says_so():
    assert judge(meta(non_root=True)).message == "no USER: runs as root"


@pytest.mark.parametrize("user", ["1000", "1000:0", "65532:65532"])
def test_non_root_passes_for_a_uid(user):
    outcome = judge(meta(non_root=True), user=user)
    assert outcome.passed
    assert outcome.message == "as expected: USER not root"


def test_non_root_with_a_name_passes_with_a_note():
    outcome = judge(meta(non_root=True), user="app:app")
    assert outcome.passed
    assert "USER app is a name" in outcome.message
    assert "/etc/passwd" in outcome.message


# EXPOSE


@pytest.mark.parametrize(
    ("wanted", "exposed", "passed"),
    [
        ("8080", ["8080/tcp"], True),
        ("8080/tcp", ["8080/tcp"], True),
        ("8080", ["8080/udp"], False),
        ("53/udp", ["53/udp"], True),
        ("53/udp", ["53/tcp"], False),
        ("8080", ["8080"], True),
        ("8080", ["80/tcp"], False),
        ("8080", [], False),
    ],
)
def test_exposed_ports_with_and_without_protocol(wanted, exposed, passed):
    assert judge(meta(exposed_ports=[wanted]), exposed_ports=exposed).passed is passed


def test_missing_port_message_and_evidence():
    outcome = judge(meta(exposed_ports=["8080"]), exposed_ports=["80/tcp", "443/tcp"])
    assert outcome.message == "8080/tcp is not EXPOSEd"
    assert outcome.evidence.expected == "EXPOSE 8080/tcp"
    assert outcome.evidence.actual == "EXPOSE 80/tcp 443/tcp"
    assert judge(meta(exposed_ports=["8080"])).evidence.actual == "nothing EXPOSEd"


@pytest.mark.parametrize(
    ("unwanted", "exposed", "passed"),
    [
        ("22", ["22/tcp"], False),
        ("22/tcp", ["22/tcp"], False),
        ("22", ["22/udp"], True),
        ("22", ["80/tcp"], True),
        ("22", [], True),
    ],
)
def test_unexposed_ports(unwanted, exposed, passed):
    outcome = judge(meta(unexposed_ports=[unwanted]), exposed_ports=exposed)
    assert outcome.passed is passed
    if not passed:
        assert outcome.message == "22/tcp is EXPOSEd"


def test_a_bad_port_is_refused_by_the_model():
    with pytest.raises(ValidationError):
        meta(exposed_ports=["http"])


# ENTRYPOINT and CMD


def test_entrypoint_and_cmd_exact():
    c = meta(entrypoint=["/app"], cmd=["--port", "8080"])
    ok = judge(c, entrypoint=["/app"], cmd=["--port", "8080"])
    assert ok.passed
    assert ok.message == 'as expected: ENTRYPOINT ["/app"], CMD ["--port", "8080"]'
    outcome = judge(c, entrypoint=["/app"], cmd=["--port", "80"])
    assert not outcome.passed
    assert outcome.message == "1 of 2 expectations met; CMD differs"
    assert outcome.evidence.expected == 'CMD ["--port", "8080"]'
    assert outcome.evidence.actual == 'CMD ["--port", "80"]'


def test_entrypoint_order_and_length_matter():
    c = meta(entrypoint=["python", "app.py"])
    assert not judge(c, entrypoint=["app.py", "python"]).passed
    assert not judge(c, entrypoint=["python", "app.py", "-v"]).passed
    assert not judge(c, entrypoint=["python"]).passed


@pytest.mark.parametrize("actual", [None, []])
def test_empty_list_means_none(actual):
    assert judge(meta(entrypoint=[]), entrypoint=actual).passed
    assert judge(meta(cmd=[]), cmd=actual).passed


def test_empty_list_fails_when_one_is_set():
    outcome = judge(meta(entrypoint=[]), entrypoint=["/app"])
    assert not outcome.passed
    assert outcome.message == "an ENTRYPOINT is set"
    assert judge(meta(cmd=[]), cmd=["app"]).message == "a CMD is set"
    assert outcome.evidence.expected == "no ENTRYPOINT"
    assert outcome.evidence.actual == 'ENTRYPOINT ["/app"]'
    assert judge(meta(cmd=["app"])).evidence.actual == "no CMD"


# exec form


@pytest.mark.parametrize(
    ("config", "passed"),
    [
        ({"cmd": ["node", "server.js"]}, True),
        ({"entrypoint": ["/app"], "cmd": ["--verbose"]}, True),
        ({"cmd": ["/bin/sh", "-c", "node server.js"]}, False),
        ({"entrypoint": ["/bin/sh", "-c", "exec /app"]}, False),
        ({"entrypoint": ["/app"], "cmd": ["/bin/sh", "-c", "--verbose"]}, False),
        ({"cmd": ["/bin/sh", "-c"]}, False),
        ({"cmd": ["/bin/sh", "script.sh"]}, True),
        ({"cmd": ["sh", "-c", "x"]}, True),
        ({}, True),
    ],
)
def test_exec_form_without_shell(config, passed):
    assert judge(meta(exec_form=True), **config).passed is passed


def test_exec_form_with_shell():
    c = meta(exec_form=True)
    bash = ["/bin/bash", "-o", "pipefail", "-c"]
    assert not judge(c, shell=bash, cmd=[*bash, "npm start"]).passed
    assert judge(c, shell=bash, cmd=["npm", "start"]).passed
    # With a SHELL set, only that SHELL marks the shell form.
    assert judge(c, shell=bash, cmd=["/bin/sh", "-c", "npm start"]).passed
    assert not judge(c, shell=[], cmd=["/bin/sh", "-c", "npm start"]).passed


def test_exec_form_message_names_what_is_in_shell_form():
    c = meta(exec_form=True)
    one = judge(c, cmd=["/bin/sh", "-c", "npm start"])
    assert one.message == "CMD is in shell form"
    assert one.evidence.actual == 'CMD ["/bin/sh", "-c", "npm start"]: shell form'
    assert '["/bin/sh", "-c"]' in one.evidence.expected
    both = judge(c, entrypoint=["/bin/sh", "-c", "a"], cmd=["/bin/sh", "-c", "b"])
    assert both.message == "ENTRYPOINT and CMD are in shell form"
    ok = judge(c, entrypoint=["/app"])
    assert ok.evidence.actual == 'ENTRYPOINT ["/app"]: exec form'
    assert judge(c).evidence.actual == "no ENTRYPOINT or CMD"


# ENV


@pytest.mark.parametrize(
    ("wanted", "env", "passed"),
    [
        ({"key": "PORT", "value": "8080"}, {"PORT": "8080"}, True),
        ({"key": "PORT", "value": "8080"}, {"PORT": "80"}, False),
        ({"key": "PORT", "value": "8080"}, {}, False),
        ({"key": "PORT", "value": ""}, {"PORT": ""}, True),
        ({"key": "PORT"}, {"PORT": ""}, True),
        ({"key": "PORT"}, {}, False),
        ({"key": "PATH", "regex": "/usr/local/bin"}, {"PATH": "/usr/local/bin:/usr/bin"}, True),
        ({"key": "PATH", "regex": "^/opt"}, {"PATH": "/usr/local/bin:/opt"}, False),
        ({"key": "DEBUG", "unset": True}, {"PATH": "/bin"}, True),
        ({"key": "DEBUG", "unset": True}, {"DEBUG": ""}, False),
    ],
)
def test_env(wanted, env, passed):
    assert judge(meta(env=[wanted]), env=env).passed is passed


@pytest.mark.parametrize(
    ("wanted", "env", "message", "expected", "actual"),
    [
        (
            {"key": "PORT", "value": "8080"},
            {"PORT": "80"},
            "ENV PORT has another value",
            "ENV PORT=8080",
            "ENV PORT=80",
        ),
        (
            {"key": "PORT", "value": "8080"},
            {},
            "ENV PORT is not set",
            "ENV PORT=8080",
            "no ENV PORT",
        ),
        (
            {"key": "V", "regex": r"^\d+$"},
            {"V": "latest"},
            "ENV V does not match",
            r"ENV V matching /^\d+$/",
            "ENV V=latest",
        ),
        ({"key": "V"}, {}, "ENV V is not set", "ENV V set", "no ENV V"),
        (
            {"key": "DEBUG", "unset": True},
            {"DEBUG": "1"},
            "ENV DEBUG is set",
            "no ENV DEBUG",
            "ENV DEBUG=1",
        ),
    ],
)
def test_env_messages(wanted, env, message, expected, actual):
    outcome = judge(meta(env=[wanted]), env=env)
    assert outcome.message == message
    assert outcome.evidence.expected == expected
    assert outcome.evidence.actual == actual


# LABEL


@pytest.mark.parametrize(
    ("wanted", "labels", "passed", "message"),
    [
        (
            {"key": "version", "value": "1.0"},
            {"version": "1.0"},
            True,
            "as expected: LABEL version",
        ),
        ({"key": "version", "value": "1.0"}, {"version": "2.0"}, False, "has another value"),
        ({"key": "version", "regex": r"^1\."}, {"version": "1.2.3"}, True, "LABEL version"),
        ({"key": "version", "regex": r"^1\."}, {"version": "v1.2"}, False, "does not match"),
        ({"key": "maintainer"}, {"maintainer": "me"}, True, "LABEL maintainer"),
        ({"key": "maintainer"}, {}, False, "LABEL maintainer is not set"),
        ({"key": "secret", "absent": True}, {}, True, "no LABEL secret"),
        ({"key": "secret", "absent": True}, {"secret": "x"}, False, "LABEL secret is set"),
    ],
)
def test_labels(wanted, labels, passed, message):
    outcome = judge(meta(labels=[wanted]), labels=labels)
    assert outcome.passed is passed
    assert message in outcome.message


def test_label_absent_takes_no_value():
    with pytest.raises(ValidationError):
        meta(labels=[{"key": "a", "absent": True, "value": "x"}])


# WORKDIR


def test_workdir():
    assert judge(meta(workdir="/app"), workdir="/app").passed
    outcome = judge(meta(workdir="/app"), workdir="/usr/src/app")
    assert outcome.message == "WORKDIR is not /app"
    assert outcome.evidence.actual == "WORKDIR /usr/src/app"
    assert judge(meta(workdir="/app")).evidence.actual == "no WORKDIR"
    assert judge(meta(workdir="")).passed
    assert judge(meta(workdir=""), workdir="/app").message == "a WORKDIR is set"


# HEALTHCHECK


@pytest.mark.parametrize(
    ("wanted", "test", "passed", "actual"),
    [
        (True, ["CMD", "curl", "-f", "http://localhost/"], True, None),
        (True, ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], True, None),
        (True, None, False, "no HEALTHCHECK"),
        (True, [], False, "no HEALTHCHECK"),
        (True, ["NONE"], False, "HEALTHCHECK NONE"),
        (False, None, True, "no HEALTHCHECK"),
        (False, ["NONE"], True, "HEALTHCHECK NONE"),
        (False, ["CMD", "true"], False, 'HEALTHCHECK ["CMD", "true"]'),
    ],
)
def test_healthcheck(wanted, test, passed, actual):
    outcome = judge(meta(healthcheck=wanted), healthcheck=test)
    assert outcome.passed is passed
    if actual is not None:
        assert outcome.evidence.actual == actual
    if not passed:
        assert outcome.message == ("no HEALTHCHECK" if wanted else "a HEALTHCHECK is declared")


# VOLUME


@pytest.mark.parametrize(
    ("wanted", "volumes", "passed"),
    [
        ("/data", ["/data"], True),
        ("/data", ["/data/"], True),
        ("/data/", ["/data"], True),
        ("/data", ["//data"], True),
        ("/data", ["/data/db"], False),
        ("/data", [], False),
    ],
)
def test_volumes(wanted, volumes, passed):
    assert judge(meta(volumes=[wanted]), volumes=volumes).passed is passed


def test_unmounted_volumes():
    c = meta(unmounted_volumes=["/tmp"])
    assert judge(c, volumes=["/data"]).passed
    outcome = judge(c, volumes=["/tmp/", "/data"])
    assert not outcome.passed
    assert outcome.message == "/tmp is a VOLUME"
    assert outcome.evidence.actual == "VOLUME /data /tmp/"


def test_missing_volume_message():
    outcome = judge(meta(volumes=["/data"]))
    assert outcome.message == "/data is not a VOLUME"
    assert outcome.evidence.actual == "no VOLUME"


# Several expectations, partial credit, messages


def _many(**extra):
    return meta(
        user="app",
        exposed_ports=["8080", "9090"],
        env=[{"key": "A", "value": "1"}, {"key": "B", "unset": True}],
        workdir="/app",
        **extra,
    )


def test_all_must_hold_without_partial_credit():
    outcome = judge(_many(), user="app", exposed_ports=["8080/tcp"], env={"A": "1"}, workdir="/app")
    assert not outcome.passed
    assert outcome.fraction == 0.0
    assert outcome.message == "5 of 6 expectations met; 9090/tcp is not EXPOSEd"


def test_partial_credit_is_met_over_given():
    config = {"user": "app", "exposed_ports": ["8080/tcp"], "env": {"A": "1"}, "workdir": "/app"}
    outcome = judge(_many(partial_credit=True), **config)
    assert not outcome.passed
    assert outcome.fraction == pytest.approx(5 / 6)
    outcome = judge(_many(partial_credit=True), env={"B": "x"})
    assert outcome.fraction == 0.0
    outcome = judge(_many(partial_credit=True), user="app", env={"A": "2", "B": "x"})
    assert outcome.fraction == pytest.approx(1 / 6)


def test_partial_credit_full_pass():
    config = {
        "user": "app",
        "exposed_ports": ["8080/tcp", "9090/tcp"],
        "env": {"A": "1"},
        "workdir": "/app",
    }
    outcome = judge(_many(partial_credit=True), **config)
    assert outcome.passed
    assert outcome.fraction == 1.0
    assert outcome.message == "as expected: USER app, EXPOSE 8080/tcp, EXPOSE 9090/tcp and 3 more"
    assert outcome.evidence.expected.count("\n") == 5


def test_message_lists_three_failures_and_n_more():
    outcome = judge(_many(), env={"B": "1"})
    assert outcome.message == (
        "0 of 6 expectations met; USER is not app, 8080/tcp is not EXPOSEd, "
        "9090/tcp is not EXPOSEd and 3 more"
    )
    expected_lines = outcome.evidence.expected.splitlines()
    actual_lines = outcome.evidence.actual.splitlines()
    assert expected_lines == [
        "USER app",
        "EXPOSE 8080/tcp",
        "EXPOSE 9090/tcp",
        "ENV A=1",
        "no ENV B",
        "WORKDIR /app",
    ]
    assert actual_lines == [
        "no USER",
        "nothing EXPOSEd",
        "nothing EXPOSEd",
        "no ENV A",
        "ENV B=1",
        "no WORKDIR",
    ]


def test_evidence_shows_only_what_failed():
    outcome = judge(meta(user="app", workdir="/app"), user="app", workdir="/srv")
    assert outcome.evidence.expected == "WORKDIR /app"
    assert outcome.evidence.actual == "WORKDIR /srv"


def test_exactly_three_failures_have_no_more():
    outcome = judge(meta(user="app", workdir="/app", healthcheck=True))
    assert outcome.message.endswith("no HEALTHCHECK")
    assert "more" not in outcome.message


# Student text in the evidence


def test_long_values_are_capped():
    long = "x" * 5000
    outcome = judge(
        meta(user="app", env=[{"key": "A", "value": "1"}], cmd=["app"]),
        user=long,
        env={"A": long},
        cmd=[long],
    )
    lines = outcome.evidence.actual.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert len(line) <= 220
        assert line.endswith("…")
    assert len(outcome.message) < 300


def test_newlines_in_values_stay_on_one_line():
    outcome = judge(meta(labels=[{"key": "a", "value": "x"}]), labels={"a": "line1\nline2\r"})
    assert outcome.evidence.actual == "LABEL a=line1\\nline2\\r"


def test_long_rubric_values_are_shortened_in_the_message():
    outcome = judge(meta(workdir="/" + "d" * 500))
    assert len(outcome.message) < 100
    assert outcome.message.startswith("WORKDIR is not /ddd")
