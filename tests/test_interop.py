"""container-structure-test files and .dive-ci read as grader criteria: each mapping and refusal."""

from __future__ import annotations

import importlib
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import TypeAdapter

from grader.errors import InputError
from grader.interop import (
    FORMATS,
    Draft,
    ImportRefused,
    convert,
    criterion_ids,
    dump_yaml,
    read,
    regex_problem,
    slug,
    split_points,
)
from grader.models.criteria import Criterion
from grader.models.rubric import CriteriaFormat

DATA = Path(__file__).parent / "data" / "interop"
CRITERION: TypeAdapter[Any] = TypeAdapter(Criterion)
HEAD = "schemaVersion: '2.0.0'\n"


def criteria(
    text: str, *, fmt: str = "container-structure-test", file: str = "t.yaml", **points: Any
) -> list[dict[str, Any]]:
    share = points or {"points": 1}
    result = convert(fmt, textwrap.dedent(text).encode(), file, **share)
    return [dict(item.criterion) for item in result.criteria]


def notes(text: str, *, fmt: str = "container-structure-test", file: str = "t.yaml") -> list[str]:
    return list(convert(fmt, textwrap.dedent(text).encode(), file, points=1).notes)


def refused(text: str, *, fmt: str = "container-structure-test", file: str = "t.yaml") -> list[str]:
    with pytest.raises(ImportRefused) as info:
        convert(fmt, textwrap.dedent(text).encode(), file, points=1)
    return list(info.value.problems)


def one(text: str, **kwargs: Any) -> dict[str, Any]:
    [criterion] = criteria(HEAD + textwrap.dedent(text), **kwargs)
    return criterion


# --- the registry -------------------------------------------------------------------------


def test_every_format_the_rubric_names_is_registered_and_has_a_module():
    assert set(FORMATS) == set(get_args(CriteriaFormat))
    for module in FORMATS.values():
        assert callable(importlib.import_module(module).drafts)


def test_an_unknown_format_is_an_input_error():
    with pytest.raises(InputError, match="goss: no such format"):
        convert("goss", b"{}", "x", points=1)


def test_points_or_total_exactly():
    with pytest.raises(ValueError, match="points or total"):
        convert("dive-ci", b"", ".dive-ci")
    with pytest.raises(ValueError, match="points or total"):
        convert("dive-ci", b"", ".dive-ci", points=1, total=2)


# --- the real-looking examples ------------------------------------------------------------


def test_the_structure_test_example_maps_all_four_test_kinds():
    raw = (DATA / "structure-test.yaml").read_bytes()
    result = convert("container-structure-test", raw, "structure-test.yaml", total=20)
    found = [dict(item.criterion) for item in result.criteria]
    assert [(c["id"], c["check"]) for c in found] == [
        ("server-prints-its-version", "command"),
        ("server-refuses-an-unknown-flag", "command"),
        ("config-is-generated-at-start", "command"),
        ("path-holds-the-app", "command"),
        ("server-binary", "paths_present"),
        ("app-directory", "paths_present"),
        ("no-go-toolchain", "paths_absent"),
        ("no-sources", "paths_absent"),
        ("passwd-has-the-app-user", "file_content"),
        ("metadata", "metadata"),
    ]
    assert [item.origin for item in result.criteria][:2] == ["commandTests[0]", "commandTests[1]"]
    for criterion in found:
        CRITERION.validate_python(criterion)
        assert criterion["points"] == 2
    assert found[0]["title"] == "server prints its version"
    assert found[2] == {
        "id": "config-is-generated-at-start",
        "title": "config is generated at start",
        "check": "command",
        "points": 2,
        "command": ["cat", "/tmp/app.yaml"],
        "setup": [["/app/server", "--write-config", "/tmp/app.yaml"]],
        "env": {"APP_ENV": "test", "LOG_LEVEL": "debug"},
        "expected_output": ["(?m)^listen: :8080$"],
        "exit_code": 0,
    }
    assert found[1]["exit_code"] == 2
    assert found[1]["expected_error"] == ["flag provided but not defined"]
    assert found[4] == {
        "id": "server-binary",
        "title": "server binary",
        "check": "paths_present",
        "points": 2,
        "paths": ["/app/server"],
        "mode": "-rwxr-xr-x",
        "uid": 0,
        "gid": 0,
        "executable_by": "any",
    }
    assert result.notes == (
        "structure-test.yaml: commandTests[2].teardown: dropped: container-structure-test's "
        "docker driver skips teardown too (each test has a container of its own), and grader "
        "removes each container",
    )


def test_the_json_example_is_read_as_encoding_json_reads_it():
    raw = (DATA / "structure-test.json").read_bytes()
    result = convert("container-structure-test", raw, "structure-test.json", points=1)
    command, binary, toolchain = (dict(item.criterion) for item in result.criteria)
    assert command["expected_output"] == ["v1"]  # "ExpectedOutput": field names in any case
    assert binary["uid"] == 0  # JSON never runs the YAML UnmarshalYAML: uid/gid default to 0
    assert binary["gid"] == 0
    assert toolchain["check"] == "paths_absent"  # and shouldExist to false
    assert any("fileExistenceTests[1].shouldExist: not given" in note for note in result.notes)
    assert any("fileExistenceTests[0].uid: not given" in note for note in result.notes)


def test_the_dive_ci_example_is_one_criterion_per_rule_with_points_each():
    raw = (DATA / ".dive-ci").read_bytes()
    found = [dict(c.criterion) for c in convert("dive-ci", raw, ".dive-ci", points=2).criteria]
    assert found == [
        {
            "id": "lowest-efficiency",
            "title": "Layer efficiency at least 0.95",
            "check": "layer_efficiency",
            "points": 2,
            "min_efficiency": 0.95,
        },
        {
            "id": "highest-wasted-bytes",
            "title": "Wasted bytes at most 20MB",
            "check": "layer_efficiency",
            "points": 2,
            "max_wasted_bytes": 20_000_000,
        },
        {
            "id": "highest-user-wasted-percent",
            "title": "Wasted share of the image's own layers at most 0.2",
            "check": "layer_efficiency",
            "points": 2,
            "max_user_wasted": 0.2,
        },
    ]


def test_the_dive_ci_example_with_a_total_is_one_criterion():
    raw = (DATA / ".dive-ci").read_bytes()
    [criterion] = convert("dive-ci", raw, ".dive-ci", total=6).criteria
    assert dict(criterion.criterion) == {
        "id": "layer-efficiency",
        "title": "Layer efficiency (dive's CI rules)",
        "check": "layer_efficiency",
        "points": 6,
        "min_efficiency": 0.95,
        "max_wasted_bytes": 20_000_000,
        "max_user_wasted": 0.2,
    }
    CRITERION.validate_python(dict(criterion.criterion))


def test_dives_own_sample_file_is_refused_for_the_keys_dive_never_reads():
    sample = """\
        ---
        plugins:
          - plugin1

        rules:
          lowestEfficiency: 0.95
          highestWastedBytes: 20Mb
          highestUserWastedPercent: 0.5
          plugin1/rule1: error
        """
    assert refused(sample, fmt="dive-ci", file=".dive-ci") == [
        ".dive-ci: plugins: unknown key: dive reads only rules here",
        ".dive-ci: rules.plugin1/rule1: unknown key: dive reads only lowestEfficiency, "
        "highestWastedBytes, highestUserWastedPercent here",
    ]


# --- points and ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "count", "shares"),
    [
        (10, 3, [3.33, 3.33, 3.34]),
        (20, 10, [2.0] * 10),
        (1, 1, [1.0]),
        (2, 3, [0.67, 0.67, 0.66]),
        (0.05, 10, [0.0] * 9 + [0.05]),  # rounding up would leave the last one negative
        (0, 2, [0.0, 0.0]),
    ],
)
def test_a_total_is_split_evenly_the_last_taking_the_remainder(total, count, shares):
    found = split_points(total, count)
    assert found == pytest.approx(shares)
    assert sum(Decimal(repr(share)) for share in found) == Decimal(repr(float(total)))
    assert all(share >= 0 for share in found)


def test_whole_shares_are_written_as_integers():
    assert [c["points"] for c in criteria((DATA / ".dive-ci").read_text(), fmt="dive-ci")] == [
        1,
        1,
        1,
    ]
    text = (
        HEAD + "fileContentTests:\n" + "".join(f"  - {{name: f{i}, path: /f}}\n" for i in range(3))
    )
    assert [c["points"] for c in criteria(text, total=10)] == [3.33, 3.33, 3.34]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("server prints its version!", "server-prints-its-version"),
        ("Café crème", "cafe-creme"),
        ("  --weird__name--  ", "weird-name"),
        ("Проверка", ""),
    ],
)
def test_slugs(name, expected):
    assert slug(name) == expected


def draft(name: str, check: str = "command") -> Draft:
    return Draft(name=name, title=name, origin="x", fields={"check": check})


def test_ids_are_unique_slugs_with_a_prefix():
    drafts = [
        draft("same"),
        draft("Same!"),
        draft("same"),
        draft("Проверка"),
        draft("", "metadata"),
    ]
    assert criterion_ids(drafts) == ["same", "same-2", "same-3", "command", "metadata"]
    assert criterion_ids(drafts[:2], "cst") == ["cst-same", "cst-same-2"]
    assert criterion_ids(drafts[:1], "cst_") == ["cst_same"]
    long = [draft("x" * 80), draft("x" * 80)]
    ids = criterion_ids(long, "p")
    assert ids == ["p-" + "x" * 62, "p-" + "x" * 60 + "-2"]
    assert all(len(i) <= 64 for i in ids)
    for criterion_id in ids:
        CRITERION.validate_python({"check": "multi_stage", "points": 1, "id": criterion_id})


def test_ids_are_unique_across_test_kinds():
    found = criteria(
        HEAD
        + "commandTests: [{name: app, command: app}]\n"
        + "fileExistenceTests: [{name: app, path: /app}]\n"
    )
    assert [c["id"] for c in found] == ["app", "app-2"]


# --- commandTests ---------------------------------------------------------------------------


def test_a_command_test_with_defaults():
    assert one("commandTests: [{name: hello, command: echo, args: [hi]}]") == {
        "id": "hello",
        "title": "hello",
        "check": "command",
        "points": 1,
        "command": ["echo", "hi"],
        "exit_code": 0,
    }


def test_global_env_vars_go_to_every_command_and_the_tests_own_win():
    text = """\
        globalEnvVars:
          - {key: A, value: global}
          - {key: B, value: global}
        commandTests:
          - name: one
            command: env
            envVars: [{key: B, value: own}]
        fileExistenceTests: [{name: f, path: /f}]
        metadataTest:
          envVars: [{key: A, value: from-the-image}]
        """
    command, present, metadata = criteria(HEAD + textwrap.dedent(text))
    assert command["env"] == {"A": "global", "B": "own"}
    assert "env" not in present
    # cst's metadata test reads the original image, which globalEnvVars do not change
    assert metadata["env"] == [{"key": "A", "value": "from-the-image"}]


def test_yaml_v2_reads_any_scalar_as_text_and_its_own_booleans_and_ints():
    command = one(
        """\
        commandTests:
          - name: 0755
            command: chmod
            args: [0755, yes, 1.10, ~]
            exitCode: 0x10
        """
    )
    assert command["command"] == ["chmod", "0755", "yes", "1.10", ""]
    assert command["title"] == "0755"
    assert command["exit_code"] == 16
    absent = one("fileExistenceTests: [{name: n, path: /x, shouldExist: n}]")
    assert absent["check"] == "paths_absent"  # yaml.v2's 'n' is false


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{name: a}", "t.yaml: commandTests[0].command: missing: container-structure-test fails"),
        ("{command: a}", "t.yaml: commandTests[0].name: missing: container-structure-test fails"),
        (
            "{name: a, command: a, setup: [[]]}",
            "t.yaml: commandTests[0].setup[0]: an empty command",
        ),
        ("{name: a, command: a, teardown: [[]]}", "t.yaml: commandTests[0].teardown[0]: an empty"),
        ("{name: a, command: a, envVars: [{key: K}]}", "t.yaml: commandTests[0].envVars[0]: needs"),
        ("{name: a, command: a, exitCode: '1'}", "t.yaml: commandTests[0].exitCode: must be a who"),
        ("{name: a, command: a, args: x}", "t.yaml: commandTests[0].args: must be a list of text"),
        ("{name: a, command: a, colour: red}", "t.yaml: commandTests[0].colour: unknown field"),
        (
            "{name: a, command: a, envVars: [{key: K, val: v}]}",
            "t.yaml: commandTests[0].envVars[0].val: unknown field",
        ),
        ("{name: a, name: b, command: a}", "t.yaml: commandTests[0].name: given twice"),
    ],
)
def test_command_test_refusals(line, problem):
    found = refused(HEAD + f"commandTests:\n  - {line}\n")[0]
    assert found.startswith(problem), found


def test_teardown_is_dropped_with_a_note():
    text = HEAD + "commandTests: [{name: a, command: a, teardown: [[rm, x]]}]\n"
    assert "teardown" not in criteria(text)[0]
    [note] = notes(text)
    assert note.startswith("t.yaml: commandTests[0].teardown: dropped: ")


def test_is_regex_on_a_command_env_var_is_dropped_with_a_note():
    text = (
        HEAD + "commandTests: [{name: a, command: a, envVars: [{key: K, value: v, isRegex: yes}]}]"
    )
    assert criteria(text)[0]["env"] == {"K": "v"}
    assert notes(text) == [
        "t.yaml: commandTests[0].envVars[0].isRegex: dropped: container-structure-test reads "
        "isRegex only in metadataTest"
    ]


def test_env_expansion_grader_does_not_follow_is_refused():
    assert refused(HEAD + "globalEnvVars: [{key: PATH, value: '/env/bin:$PATH'}]\n") == [
        "t.yaml: globalEnvVars[0].value: container-structure-test replaces $NAME here with the "
        "image's env; grader sets env values as written, for every test"
    ]
    setup = "{name: a, command: a, setup: [[b]], envVars: [{key: K, value: '${HOME}/x'}]}"
    [problem] = refused(HEAD + f"commandTests: [{setup}]\n")
    assert problem.startswith("t.yaml: commandTests[0].envVars[0].value: container-structure-")
    # without setup the value reaches the command as written, in both
    assert one("commandTests: [{name: a, command: a, envVars: [{key: K, value: $HOME}]}]")[
        "env"
    ] == {"K": "$HOME"}
    text = (
        "globalEnvVars: [{key: G, value: g}]\ncommandTests: [{name: a, command: echo, args: [$G]}]"
    )
    [problem] = refused(HEAD + text)
    assert problem.startswith("t.yaml: commandTests[0].args[0]: $G: container-structure-test ")
    # a variable of the image only: expand_env does what container-structure-test does
    assert one("commandTests: [{name: a, command: sh, args: [-c, 'echo $PATH']}]")["expand_env"]
    # ... but grader would expand the setup commands too, which container-structure-test never does
    setup = "{name: a, setup: [[sh, -c, 'echo $HOME > /f']], command: echo, args: [$PATH]}"
    [problem] = refused(HEAD + f"commandTests: [{setup}]\n")
    assert problem.startswith("t.yaml: commandTests[0].setup[0]: container-structure-test runs")
    setup = "{name: a, setup: [[sh, -c, 'echo $HOME > /f']], command: cat, args: [/f]}"
    found = one(f"commandTests: [{setup}]")
    assert "expand_env" not in found  # nothing to expand: the setup runs as written, as in cst


# --- fileExistenceTests and fileContentTests ---------------------------------------------------


def test_file_existence_defaults_to_should_exist_and_unchecked_owner():
    assert one("fileExistenceTests: [{name: app, path: /app, uid: -1, gid: -1}]") == {
        "id": "app",
        "title": "app",
        "check": "paths_present",
        "points": 1,
        "paths": ["/app"],
    }


@pytest.mark.parametrize(
    "field", ["permissions: '-rw-r--r--'", "uid: 0", "gid: 0", "isExecutableBy: any"]
)
def test_what_should_not_exist_has_no_permissions_or_owner(field):
    [problem] = refused(
        HEAD + f"fileExistenceTests:\n  - {{name: a, path: /a, shouldExist: false, {field}}}\n"
    )
    name = field.split(":")[0]
    assert problem == (
        f"t.yaml: fileExistenceTests[0].{name}: not checked when shouldExist is false "
        "(container-structure-test ignores it): remove it"
    )


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ("isExecutableBy: everyone", "fileExistenceTests[0].isExecutableBy: 'everyone': contai"),
        ("uid: -2", "fileExistenceTests[0].uid: -2 never matches"),
        ("permissions: rwx", "fileExistenceTests[0].permissions: String should match pattern"),
        ("shouldExist: 'true'", "fileExistenceTests[0].shouldExist: must be true or false"),
    ],
)
def test_file_existence_refusals(fields, problem):
    [found] = refused(HEAD + f"fileExistenceTests:\n  - {{name: a, path: /a, {fields}}}\n")
    assert found.startswith(f"t.yaml: {problem}"), found


def test_paths_are_refused_when_grader_would_read_them_otherwise():
    [expanded] = refused(HEAD + "fileExistenceTests: [{name: a, path: $HOME/.bashrc}]\n")
    assert expanded.startswith("t.yaml: fileExistenceTests[0].path: container-structure-test ")
    [relative] = refused(HEAD + "fileExistenceTests: [{name: a, path: etc/passwd}]\n")
    assert relative == (
        "t.yaml: fileExistenceTests[0].path: 'etc/passwd' must be an absolute path in the image, "
        "such as /usr/bin/gcc"
    )
    [missing] = refused(HEAD + "fileContentTests: [{name: a}]\n")
    assert missing.startswith("t.yaml: fileContentTests[0].path: missing")


def test_file_content():
    assert one(
        "fileContentTests: [{name: c, path: /etc/c, expectedContents: [a], excludedContents: [b]}]"
    ) == {
        "id": "c",
        "title": "c",
        "check": "file_content",
        "points": 1,
        "path": "/etc/c",
        "expected": ["a"],
        "excluded": ["b"],
    }


# --- metadataTest --------------------------------------------------------------------------


def test_metadata_maps_every_field():
    found = one(
        """\
        metadataTest:
          envVars:
            - {key: A, value: ''}
            - {key: B, value: '^x$', isRegex: true}
          unboundEnvVars: [{key: C}]
          labels:
            - {key: l, value: v}
            - {key: m, value: '.+', isRegex: true}
          exposedPorts: ['8080']
          unexposedPorts: ['22']
          entrypoint: []
          cmd: [serve]
          workdir: /app
          user: '1000'
          volumes: [/data]
          unmountedVolumes: [/tmp]
        """
    )
    assert found == {
        "id": "metadata",
        "title": "Image metadata",
        "check": "metadata",
        "points": 1,
        "env": [
            {"key": "A", "value": ""},  # cst: set, and empty
            {"key": "B", "regex": "^x$"},  # '$' is fine in a value with no line break
            {"key": "C", "unset": True},
        ],
        "labels": [{"key": "l", "value": "v"}, {"key": "m", "regex": ".+"}],
        "exposed_ports": ["8080"],
        "unexposed_ports": ["22", "22/udp", "22/sctp"],
        "entrypoint": [],
        "cmd": ["serve"],
        "workdir": "/app",
        "user": "1000",
        "volumes": ["/data"],
        "unmounted_volumes": ["/tmp"],
    }


@pytest.mark.parametrize(
    "body", ["metadataTest: {}", "metadataTest:", "metadataTest: {workdir: '', user: '', cmd: ~}"]
)
def test_an_empty_metadata_test_gives_no_criterion(body):
    found = criteria(HEAD + body + "\ncommandTests: [{name: a, command: a}]\n")
    assert [c["id"] for c in found] == ["a"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("exposedPorts: ['8080/tcp']", "metadataTest.exposedPorts[0]: '8080/tcp': container-"),
        ("unexposedPorts: ['53/udp']", "metadataTest.unexposedPorts[0]: '53/udp': container-"),
        ("exposedPorts: [http]", "metadataTest.exposedPorts[0]: 'http' is not a port number"),
        ("envVars: [{value: x}]", "metadataTest.envVars[0].key: missing"),
        ("labels: [{key: a, value: '(?=x)', isRegex: true}]", "metadataTest.labels[0].value: pa"),
        ("volumes: ['']", "metadataTest.volumes[0]: an empty volume"),
        ("volumes: [data]", "metadataTest.volumes[0]: 'data' must be an absolute path"),
        ("healthcheck: true", "metadataTest.healthcheck: unknown field"),
    ],
)
def test_metadata_refusals(body, problem):
    [found] = refused(HEAD + f"metadataTest: {{{body}}}\n")
    assert found.startswith(f"t.yaml: {problem}"), found


def test_unbound_env_var_values_are_dropped_with_a_note():
    text = HEAD + "metadataTest: {unboundEnvVars: [{key: C, value: x}]}\n"
    assert criteria(text)[0]["env"] == [{"key": "C", "unset": True}]
    assert notes(text) == [
        "t.yaml: metadataTest.unboundEnvVars[0]: value and isRegex dropped: only the key is "
        "checked (unset)"
    ]


# --- the file as a whole -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("commandTests: []\n", "t.yaml: schemaVersion: missing: grader reads schemaVersion 2.0.0"),
        ("schemaVersion: '1.0.0'\n", "t.yaml: schemaVersion: '1.0.0' is not supported: grader "),
        (HEAD + "licenseTests: [{debian: true}]\n", "t.yaml: licenseTests: not supported: grader"),
        (HEAD + "tests: []\n", "t.yaml: tests: unknown field (container-structure-test knows "),
        (HEAD + "commandTests: {name: a}\n", "t.yaml: commandTests: must be a list"),
        ("- a\n", "t.yaml: not a container-structure-test file"),
        ("", "t.yaml: not a container-structure-test file"),
        ("a: [\n", "t.yaml: line 2: not valid YAML: "),
        (HEAD, "t.yaml: no tests: nothing to check"),
    ],
)
def test_file_refusals(text, problem):
    found = refused(text)
    assert found[0].startswith(problem), found


def test_an_empty_license_tests_list_is_nothing_to_refuse():
    assert criteria(HEAD + "licenseTests: []\ncommandTests: [{name: a, command: a}]\n")


@pytest.mark.parametrize(
    "option",
    [
        "user: root",
        "privileged: true",
        "allocateTty: true",
        "envVars: [SECRET]",
        "envFile: .env",
        "capabilities: [sys_admin]",
        "bindMounts: ['/tmp:/tmp']",
    ],
)
def test_every_container_run_option_set_is_refused(option):
    text = HEAD + f"containerRunOptions: {{{option}}}\ncommandTests: [{{name: a, command: a}}]\n"
    name = option.split(":")[0]
    assert refused(text) == [
        f"t.yaml: containerRunOptions.{name}: not supported: every run is in grader's sandbox"
    ]


def test_container_run_options_left_at_their_defaults_change_nothing():
    text = (
        HEAD + "containerRunOptions: {user: '', privileged: false, allocateTty: no, envVars: [],"
        " envFile: '', capabilities: [], bindMounts: []}\ncommandTests: [{name: a, command: a}]\n"
    )
    assert len(criteria(text)) == 1


def test_json_files_need_json_strings_and_never_use_the_yaml_names_for_tty():
    problems = refused('{"schemaVersion": "2.0.0", "commandTests": [{"name": 1}]}', file="t.json")
    assert problems[0] == "t.json: commandTests[0].name: must be a JSON string"
    [problem] = refused(
        '{"schemaVersion": "2.0.0", "containerRunOptions": {"TTY": true}}', file="t.json"
    )
    assert problem.startswith("t.json: containerRunOptions.allocateTty: not supported")
    [problem] = refused(
        '{"schemaVersion": "2.0.0", "containerRunOptions": {"allocateTty": true}}', file="t.json"
    )
    assert problem.startswith("t.json: containerRunOptions.allocateTty: unknown field")


def test_a_refusal_is_one_line_and_says_how_many_more():
    with pytest.raises(ImportRefused) as info:
        convert("container-structure-test", b"a: 1\nb: 2\n", "t.yaml", points=1)
    error = info.value
    assert str(error) == (
        "t.yaml: a: unknown field (container-structure-test knows schemaVersion, globalEnvVars, "
        "commandTests, fileExistenceTests, fileContentTests, metadataTest, licenseTests, "
        "containerRunOptions) (and 2 more problems)"
    )
    assert "\n" not in str(ImportRefused(["t.yaml: 'a\nb': unknown field"]))


def test_files_are_read_capped(tmp_path):
    with pytest.raises(ImportRefused, match=r"nope\.yaml: no such file"):
        read(tmp_path / "nope.yaml", "nope.yaml")
    with pytest.raises(ImportRefused, match="d: not a file"):
        read(tmp_path, "d")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (1024**2 + 1))
    with pytest.raises(ImportRefused, match=r"big\.yaml: larger than 1 MiB"):
        read(big, "big.yaml")
    with pytest.raises(ImportRefused, match="not UTF-8 text"):
        convert("dive-ci", b"\xff\xfe\x00", "x", points=1)


# --- regular expressions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "because"),
    [
        ("done$", "'$' matches only at the very end in Go"),
        ("(?i)done$", "'$' matches only at the very end in Go"),
        ("(?m:a)b$", "'$' matches only at the very end in Go"),  # the group's (?m) has ended
        ("end\\z", "Go's \\z (end of text) is \\Z in Python"),
        ("end\\Z", "\\Z is Python's; Go rejects it"),
        ("(?U)a+", "(?U) makes repeats lazy in Go"),
        ("(?x) a b", "the flag 'x' is Python's; Go rejects it"),
        ("[[:alpha:]]+", "POSIX classes such as [[:alpha:]] are Go's"),
        ("\\pL", "\\p{...} (a Unicode class) is Go's only"),
        ("\\Q.*\\E", "\\Q...\\E (literal text) is Go's only"),
        ("\\x{41}", "\\x{...} is Go's"),
        ("\\u0041", "\\u is Python's; Go rejects it"),
        ("(a)\\1", "\\1 to \\9 are backreferences in Python"),
        ("[\\b]", "[\\b] is a backspace in Python"),
        ("a(?=b)", "lookarounds are Python's"),
        ("(?<!a)b", "lookarounds are Python's"),
        ("(?P<x>a)(?P=x)", "(?P=name) backreferences are Python's"),
        ("(?>a)", "atomic groups are Python's"),
        ("(?#note)a", "(?#...) comments are Python's"),
        ("(?<name>a)", "(?<name>...) is Go's only"),
        ("a*+", "possessive quantifiers are Python's"),
        ("a{2}+", "possessive quantifiers are Python's"),
        ("a{,3}", "{,n} repeats 0 to n times in Python but is literal text in Go"),
        ("a{1001}", "Go repeats at most 1000 times"),
        ("(unclosed", "not a regular expression Python reads: missing ), unterminated"),
    ],
)
def test_go_patterns_python_reads_otherwise_are_refused(pattern, because):
    problem = regex_problem(pattern, lines=True)
    assert problem is not None
    assert problem.startswith(because), problem


@pytest.mark.parametrize(
    "pattern",
    [
        "(?m)^listen: :8080$",
        "(?m:^a$)",
        "(?sm)a.$",
        "^server v\\d+\\.\\d+",
        ".*Usage.*",
        "(?i)panic",
        "(?P<v>\\d+)",
        "[$]",
        "\\$HOME",
        "a{2,3}b{}",
        "x}+",
        "[]a]",
        "\\0",
        "\\x41",
        "[[]",
        "",
    ],
)
def test_patterns_both_read_alike_are_accepted(pattern):
    assert regex_problem(pattern, lines=True) is None


def test_dollar_is_accepted_where_no_line_break_ends_the_text():
    assert regex_problem("^v1$", lines=False) is None


def test_the_field_of_a_refused_pattern_is_named():
    text = HEAD + "commandTests: [{name: a, command: a, expectedOutput: [ok, 'done$']}]\n"
    assert refused(text) == [
        "t.yaml: commandTests[0].expectedOutput[1]: pattern 'done$': '$' matches only at the "
        "very end in Go, but also before a final newline in Python: start the pattern with (?m) "
        "to mean the end of a line, or drop the '$'"
    ]


# --- .dive-ci ----------------------------------------------------------------------------


def dive(rules: str) -> dict[str, Any]:
    """The one criterion a .dive-ci with these rules gives, for a total of 1."""
    text = "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  ")
    [criterion] = criteria(text, fmt="dive-ci", file=".dive-ci", total=1)
    return criterion


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ("20MB", 20_000_000),
        ("20MiB", 20 * 1024**2),
        ("20M", 20_000_000),
        ("20mb", 20_000_000),
        ("20 MB", 20_000_000),
        ("1.5KB", 1500),
        ("1024", 1024),
        ("'1024'", 1024),
        ("1e7", 10_000_000),
        ("2GiB", 2 * 1024**3),
        ("0.5", 0),
    ],
)
def test_wasted_bytes_are_read_as_go_humanize_reads_them(value, size):
    rules = f"highestWastedBytes: {value}\nlowestEfficiency: disabled\n"
    rules += "highestUserWastedPercent: disabled\n"
    assert dive(rules)["max_wasted_bytes"] == size


def test_keys_are_read_in_any_case_and_missing_rules_take_dives_defaults():
    text = "RULES:\n  HighestWastedBytes: 1MB\n"
    [criterion] = criteria(text, fmt="dive-ci", file=".dive-ci", total=3)
    assert criterion["min_efficiency"] == 0.9
    assert criterion["max_wasted_bytes"] == 1_000_000
    assert criterion["max_user_wasted"] == 0.1
    assert notes(text, fmt="dive-ci", file=".dive-ci") == [
        ".dive-ci: RULES.lowestEfficiency: not given: dive's default '0.9' applies",
        ".dive-ci: RULES.highestUserWastedPercent: not given: dive's default '0.1' applies",
    ]
    assert dive("lowestEfficiency: ~\nhighestUserWastedPercent: disabled\n") == {
        "id": "layer-efficiency",
        "title": "Layer efficiency (dive's CI rules)",
        "check": "layer_efficiency",
        "points": 1,
        "min_efficiency": 0.9,
    }
    # an empty file is dive's defaults too
    assert len(criteria("", fmt="dive-ci", file=".dive-ci")) == 2


def test_only_disabled_disables_a_rule():
    assert "min_efficiency" not in dive("lowestEfficiency: disabled\n")
    for value in ("off", "false", "''", "Disabled"):
        [problem] = refused(f"rules:\n  lowestEfficiency: {value}\n", fmt="dive-ci", file="d")
        shown = "" if value == "''" else value
        assert problem == (
            f"d: rules.lowestEfficiency: invalid config value ('{shown}'): not a number; dive "
            "reports the rule misconfigured and fails"
        )


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        (
            "lowestEfficiency: 1.5",
            "rules.lowestEfficiency: lowestEfficiency config value is outside allowed range "
            "(0-1), given '1.5'; dive reports the rule misconfigured and fails",
        ),
        (
            "highestUserWastedPercent: 10",
            "rules.highestUserWastedPercent: highestUserWastedPercent config value is outside "
            "allowed range (0-1), given '10'; dive reports the rule misconfigured and fails",
        ),
        ("lowestEfficiency: .nan", "rules.lowestEfficiency: 'NaN' passes dive's range check"),
        ("lowestEfficiency: 0x1p-1", "rules.lowestEfficiency: '0x1p-1' is hexadecimal"),
        ("lowestEfficiency: 95%", "rules.lowestEfficiency: invalid config value ('95%'): not a"),
        ("highestWastedBytes: 20XB", "rules.highestWastedBytes: invalid config value ('20XB'): "),
        ("highestWastedBytes: -1", "rules.highestWastedBytes: invalid config value ('-1'): not"),
        ("lowestEfficiency: [0.9]", "rules.lowestEfficiency: must be a single value"),
        ("lowestefficiency: 0.9\n  lowestEfficiency: 0.8", "rules.lowestEfficiency: given twice"),
    ],
)
def test_dive_refusals(rules, problem):
    found = refused(f"rules:\n  {rules}\n", fmt="dive-ci", file="d")
    assert found[0].startswith(f"d: {problem}"), found


def test_a_dive_ci_with_every_rule_disabled_is_refused():
    rules = "".join(f"  {key}: disabled\n" for key in ("lowestEfficiency", "highestWastedBytes"))
    rules += "  highestUserWastedPercent: disabled\n"
    assert refused("rules:\n" + rules, fmt="dive-ci", file="d") == [
        "d: rules: no rule enabled: dive checks nothing"
    ]
    assert refused("rules: 5\n", fmt="dive-ci", file="d")[0].startswith("d: rules: must be a")
    assert refused("- a\n", fmt="dive-ci", file="d")[0].startswith("d: must be a mapping")


def test_efficiency_bounds_are_accepted():
    assert dive("lowestEfficiency: 0\nhighestUserWastedPercent: 1\n") == {
        "id": "layer-efficiency",
        "title": "Layer efficiency (dive's CI rules)",
        "check": "layer_efficiency",
        "points": 1,
        "min_efficiency": 0.0,
        "max_user_wasted": 1.0,
    }


# --- printing -------------------------------------------------------------------------------


def test_dumped_yaml_reads_back_and_never_holds_raw_controls():
    data = [{"id": "x", "title": "Проверка", "command": ["sh", "-c", "a\nb"], "env": {"A": "1"}}]
    text = dump_yaml(data)
    assert "Проверка" in text
    assert "command: [sh, -c, " in text
    assert yaml.safe_load(text) == data
    hostile = [{"title": "red\x1b[31m \u202e"}]
    text = dump_yaml(hostile)
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert yaml.safe_load(text) == hostile
