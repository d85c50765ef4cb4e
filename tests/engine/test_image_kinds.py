"""The image kinds on the real engine: metadata, command, file_content, the stat of
paths_present and layer_efficiency, on busybox, scratch and Debian images, hostile ones among
them (a link to the shadow file, a huge file, commands that never end)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import docker
import pytest

from grader.engines import EngineOptions
from grader.grading import GradeOptions, check_repository
from grader.rubrics import parse
from tests import baseimages
from tests.engine.helpers import BUSYBOX

DEBIAN = "debian:bookworm"

APP = """\
FROM {busybox} AS builder
RUN mkdir -p /out && printf '#!/bin/sh\\necho "hello ${{GREETING:-nobody}}"\\n' > /out/greet \\
 && chmod 0750 /out/greet

FROM {busybox}
RUN echo 'image-own-shadow-marker:!:19000::::::' > /etc/shadow \\
 && echo 'app:x:1000:1000::/srv:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group \\
 && mkdir -p /etc/app /data \\
 && printf 'port: 8080\\nlevel: info\\n' > /etc/app/config.yaml \\
 && ln -s /etc/shadow /etc/app/secret \\
 && ln -s ../../../../../../../etc/shadow /etc/app/climbing \\
 && ln -s /etc/app/loop-b /etc/app/loop-a && ln -s /etc/app/loop-a /etc/app/loop-b \\
 && head -c 300000000 /dev/zero > /big && echo tail-marker >> /big
COPY --from=builder --chown=1000:1000 /out/greet /usr/local/bin/greet
RUN head -c 20000000 /dev/urandom > /tmp/download
RUN rm /tmp/download
ENV GREETING=world MODE=production
LABEL org.opencontainers.image.title=greeter maintainer=student
EXPOSE 8080
WORKDIR /srv
VOLUME /data
HEALTHCHECK CMD ["greet"]
USER app
ENTRYPOINT ["greet"]
"""

SCRATCH = """\
FROM {busybox} AS tools
RUN mkdir -p /out/etc && echo 'served by scratch' > /out/etc/motd

FROM scratch
COPY --from=tools /bin/busybox /bin/busybox
COPY --from=tools /out/etc/motd /etc/motd
ENTRYPOINT ["/bin/busybox"]
CMD ["echo", "hi"]
"""

DEBIAN_APP = """\
FROM {debian}
RUN head -c 5000000 /dev/urandom > /opt/blob
RUN head -c 5000000 /dev/urandom > /opt/blob
RUN rm /opt/blob
RUN useradd --uid 1001 runner
USER runner
CMD cat /etc/debian_version
"""

RUBRIC = """\
assignment: image-kinds
title: The image kinds
defaults:
  image_map: {image_map}
  limits: {{run_timeout: 4, build_timeout: 300}}
tasks:
  - id: app
    title: busybox
    dockerfile: app/Dockerfile
    criteria:
      - id: meta
        check: metadata
        points: 6
        user: app
        non_root: true
        exposed_ports: ["8080"]
        unexposed_ports: ["22"]
        entrypoint: [greet]
        exec_form: true
        env:
          - {{key: GREETING, value: world}}
          - {{key: MODE, regex: "^prod"}}
          - {{key: DEBUG, unset: true}}
        labels: [{{key: maintainer, value: student}}]
        workdir: /srv
        healthcheck: true
        volumes: [/data]
      - id: meta-wrong
        check: metadata
        points: 4
        partial_credit: true
        user: root
        exposed_ports: ["8080", "9090"]
        workdir: /srv
        cmd: [serve]
      - id: greets
        check: command
        points: 2
        command: [greet]
        expected_output: ["^hello world$"]
        excluded_error: [".+"]
      # $NAME comes from the image's ENV, as container-structure-test substitutes it: the
      # env given to the run (MODE=test) is the program's, not the substitution's
      - id: expands
        check: command
        points: 1
        command: [echo, "$MODE", "${{GREETING}}", "$UNSET."]
        expand_env: true
        env: {{MODE: test}}
        expected_output: ["^production world [.]$"]
      - id: setup
        check: command
        points: 1
        setup: [[sh, -c, "echo prepared > /tmp/state"], [sh, -c, "echo again >> /tmp/state"]]
        command: [cat, /tmp/state]
        expected_output: ["prepared\\nagain"]
      - id: failing-setup
        check: command
        points: 1
        setup: [[sh, -c, "exit 3"]]
        command: ["true"]
      - id: endless
        check: command
        points: 1
        command: [sleep, "1000"]
      - id: endless-setup
        check: command
        points: 1
        setup: [[sleep, "1000"]]
        command: ["true"]
      - id: stdin-and-exit
        check: command
        points: 1
        command: [sh, -c, "read line; echo got $line >&2; exit 4"]
        stdin: "input\\n"
        expected_error: ["got input"]
        exit_code: 4
      - id: config
        check: file_content
        points: 1
        path: /etc/app/config.yaml
        expected: ["(?m)^port: 8080$", "(?m)^level: info$"]
        excluded: ["password"]
      - id: shadow
        check: file_content
        points: 1
        path: /etc/app/secret
        expected: [image-own-shadow-marker]
      - id: climbing
        check: file_content
        points: 1
        path: /etc/app/climbing
        expected: [image-own-shadow-marker]
      - id: huge
        check: file_content
        points: 1
        path: /big
        max_bytes: 1MiB
        excluded: [tail-marker]
      - id: loop
        check: file_content
        points: 1
        path: /etc/app/loop-a
        expected: [x]
      - id: loop-present
        check: paths_present
        points: 1
        paths: [/etc/app/loop-a]
      - id: loop-stat
        check: paths_present
        points: 1
        paths: [/etc/app/loop-a]
        uid: 0
      - id: dir
        check: file_content
        points: 1
        path: /etc/app
        expected: [x]
      - id: greet-stat
        check: paths_present
        points: 1
        paths: [/usr/local/bin/greet]
        mode: "-rwxr-x---"
        uid: 1000
        gid: 1000
        executable_by: group
      - id: greet-octal
        check: paths_present
        points: 1
        paths: [/usr/local/bin/greet]
        mode: "0750"
      - id: greet-other
        check: paths_present
        points: 1
        paths: [/usr/local/bin/greet, /etc/app/secret]
        executable_by: other
      - id: waste
        check: layer_efficiency
        points: 2
        min_efficiency: 0.99
        efficiency_zero_at: 0.5
        max_wasted_bytes: 1MB
  - id: scratch
    title: scratch
    dockerfile: scratch/Dockerfile
    criteria:
      - id: motd
        check: file_content
        points: 1
        path: /etc/motd
        expected: ["^served by scratch"]
      - id: meta
        check: metadata
        points: 1
        entrypoint: [/bin/busybox]
        cmd: [echo, hi]
        user: ""
      - id: runs
        check: command
        points: 1
        command: [/bin/busybox, echo, from-scratch]
        expected_output: [from-scratch]
      - id: busybox-mode
        check: paths_present
        points: 1
        paths: [/bin/busybox]
        executable_by: any
        uid: 0
      - id: lean
        check: layer_efficiency
        points: 1
        min_efficiency: 0.99
        max_user_wasted: 0
  - id: debian
    title: Debian
    dockerfile: debian/Dockerfile
    criteria:
      - id: version
        check: command
        points: 1
        command: [cat, /etc/debian_version]
        expected_output: ["^12"]
      - id: meta
        check: metadata
        points: 1
        non_root: true
        user: runner
        exec_form: true
      - id: blob-waste
        check: layer_efficiency
        points: 1
        max_wasted_bytes: 1MB
        max_user_wasted: 0.5
"""


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory, docker_client: docker.DockerClient
) -> dict[str, dict[str, Any]]:
    debian = baseimages.ensure_debian(docker_client)
    busybox = baseimages.ensure_busybox(docker_client)
    repo = tmp_path_factory.mktemp("image-kinds") / "student"
    for folder, text in (("app", APP), ("scratch", SCRATCH), ("debian", DEBIAN_APP)):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "Dockerfile").write_text(text.format(busybox=BUSYBOX, debian=DEBIAN))
    image_map = {BUSYBOX: busybox, DEBIAN: debian}
    text = RUBRIC.format(image_map=repr(image_map).replace("'", '"'))
    loaded = parse(textwrap.dedent(text).encode(), "image-kinds.yaml")
    outcome = check_repository(repo, loaded, GradeOptions(), engine_options=EngineOptions())
    [submission] = outcome.results.submissions
    return {
        task.id: {"task": task, **{c.id: c for c in task.criteria}} for task in submission.tasks
    }


def test_metadata_of_a_real_image(graded):
    app = graded["app"]
    assert app["meta"].passed, app["meta"].message
    wrong = app["meta-wrong"]
    assert not wrong.passed
    assert wrong.score == pytest.approx(wrong.max_score * 2 / 5)  # workdir and 8080 of five
    assert "USER" in wrong.message
    assert "9090" in wrong.evidence.expected
    scratch, debian = graded["scratch"], graded["debian"]
    assert scratch["meta"].passed, scratch["meta"].message
    # CMD in shell form is /bin/sh -c ...: not exec form; the user is not root
    assert not debian["meta"].passed
    assert "shell form" in debian["meta"].message or "exec" in debian["meta"].message


def test_commands_run_in_the_image_with_setup_env_and_stdin(graded):
    app = graded["app"]
    for cid in ("greets", "expands", "setup", "stdin-and-exit"):
        assert app[cid].passed, (cid, app[cid].message, app[cid].evidence)
    assert graded["scratch"]["runs"].passed, graded["scratch"]["runs"].message
    assert graded["debian"]["version"].passed, graded["debian"]["version"].message
    failing = app["failing-setup"]
    assert not failing.passed
    assert failing.message.startswith("setup command 1 (sh -c exit 3) exited with status 3")


def test_commands_that_never_end_are_stopped(graded):
    app = graded["app"]
    assert not app["endless"].passed
    assert "was still running after" in app["endless"].message
    assert not app["endless-setup"].passed
    assert app["endless-setup"].message.startswith("setup command 1 (sleep 1000) was still running")


def test_file_content_is_read_without_running_even_on_scratch(graded):
    assert graded["app"]["config"].passed, graded["app"]["config"].message
    assert graded["scratch"]["motd"].passed, graded["scratch"]["motd"].message
    directory = graded["app"]["dir"]
    assert not directory.passed
    assert directory.message == "/etc/app is a directory"


def test_a_link_to_the_shadow_file_reads_the_images_own(graded):
    host = Path("/etc/shadow").read_text(errors="replace")
    for cid in ("shadow", "climbing"):
        found = graded["app"][cid]
        assert found.passed, (cid, found.message)
        assert "image-own-shadow-marker" in found.evidence.actual
        assert "a symlink to /etc/shadow" in found.message
        for line in host.splitlines():
            if line.startswith("root:"):
                assert line not in found.evidence.actual


def test_a_loop_of_symlinks_is_a_failing_criterion_not_an_engine_error(graded):
    app = graded["app"]
    assert (
        app["loop"].message == "/etc/app/loop-a is a loop of symlinks (or one too long to follow)"
    )
    assert app["loop-present"].passed, app["loop-present"].message
    assert not app["loop-stat"].passed
    assert "loop of symlinks" in app["loop-stat"].message
    assert "/var/lib" not in app["loop"].message + app["loop-stat"].message


def test_a_huge_file_is_judged_on_its_start(graded):
    huge = graded["app"]["huge"]
    assert huge.passed, huge.message  # the marker after 300 MB was never read
    assert huge.evidence.actual.startswith("the first 1.0 MB of /big:\n\x00")


def test_mode_owner_and_executable_by(graded):
    app = graded["app"]
    assert app["greet-stat"].passed, app["greet-stat"].message
    assert app["greet-octal"].passed, app["greet-octal"].message
    other = app["greet-other"]
    assert not other.passed
    assert "/usr/local/bin/greet: not executable by other (-rwxr-x---)" in other.message
    # a symlink is itself: Lrwxrwxrwx is executable by others
    assert "/etc/app/secret" not in other.message
    assert graded["scratch"]["busybox-mode"].passed, graded["scratch"]["busybox-mode"].message


def test_layer_efficiency_counts_what_later_layers_delete(graded):
    waste = graded["app"]["waste"]
    assert not waste.passed
    assert 0 < waste.score < waste.max_score  # efficiency between 0.5 and 0.99: partial
    assert "/tmp/download: 20.0 MB in 2 layers" in waste.evidence.actual
    assert graded["scratch"]["lean"].passed, graded["scratch"]["lean"].message
    blob = graded["debian"]["blob-waste"]
    assert not blob.passed
    assert "/opt/blob: 10.0 MB in 3 layers" in blob.evidence.actual


def test_nothing_is_left_on_the_engine(graded, docker_client: docker.DockerClient):
    from grader.engines.housekeeping import LABEL, REPOSITORY  # noqa: PLC0415

    assert docker_client.api.containers(all=True, filters={"label": LABEL}) == []
    assert docker_client.api.images(filters={"reference": f"{REPOSITORY}/*"}) == []


PODMAN_APP = """\
FROM {busybox}
RUN echo 'image-own-shadow-marker:!:19000::::::' > /etc/shadow \\
 && mkdir -p /etc/app && printf 'port: 8080\\n' > /etc/app/config.yaml \\
 && ln -s /etc/shadow /etc/app/secret && chmod 0640 /etc/app/config.yaml
RUN head -c 2000000 /dev/urandom > /tmp/download
RUN rm /tmp/download
ENV MODE=production
EXPOSE 8080
USER 1000
"""

PODMAN_RUBRIC = """\
assignment: image-kinds-podman
title: The image kinds on Podman
defaults:
  image_map: {{"{busybox}": "{stand_in}"}}
  limits: {{run_timeout: 4}}
tasks:
  - id: app
    title: busybox
    dockerfile: app/Dockerfile
    criteria:
      - {{id: meta, check: metadata, points: 1, user: "1000", non_root: true,
          exposed_ports: ["8080"], env: [{{key: MODE, value: production}}]}}
      - {{id: setup, check: command, points: 1, setup: [[sh, -c, "echo ready > /tmp/s"]],
          command: [cat, /tmp/s], expected_output: [ready]}}
      - {{id: endless, check: command, points: 1, command: [sleep, "1000"]}}
      - {{id: config, check: file_content, points: 1, path: /etc/app/config.yaml,
          expected: ["port: 8080"]}}
      - {{id: shadow, check: file_content, points: 1, path: /etc/app/secret,
          expected: [image-own-shadow-marker]}}
      - {{id: mode, check: paths_present, points: 1, paths: [/etc/app/config.yaml],
          mode: "0640", uid: 0}}
      - {{id: waste, check: layer_efficiency, points: 1, max_wasted_bytes: 1MB}}
"""


def test_the_image_kinds_on_podman(tmp_path, busybox_image, podman_url):
    repo = tmp_path / "student"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "Dockerfile").write_text(PODMAN_APP.format(busybox=BUSYBOX))
    text = PODMAN_RUBRIC.format(busybox=BUSYBOX, stand_in=busybox_image)
    loaded = parse(textwrap.dedent(text).encode(), "podman.yaml")
    options = EngineOptions(builder="buildah", docker_host=podman_url)
    outcome = check_repository(repo, loaded, GradeOptions(), engine_options=options)
    found = {c.id: c for c in outcome.results.submissions[0].tasks[0].criteria}
    for cid in ("meta", "setup", "config", "shadow", "mode"):
        assert found[cid].passed, (cid, found[cid].message)
    assert "was still running after" in found["endless"].message
    waste = found["waste"]
    assert not waste.passed
    assert "/tmp/download: 2.0 MB in 2 layers" in waste.evidence.actual
