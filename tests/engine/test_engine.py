"""The engine wrapper on a real engine: builds, runs, limits, timeouts and clean-up.

Every test runs on each builder (``builder`` in tests/engine/conftest.py): the sandbox must hold
whichever builder made the image.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from grader.engines import EngineOptions, open_engine
from grader.engines.housekeeping import LABEL
from grader.errors import EngineUnavailable, Interrupted
from grader.models.rubric import RunSpec
from tests.engine.helpers import FAST, build_request, running


def test_build_measure_and_run(tmp_path, busybox_image, make_engine):
    request = build_request(
        tmp_path, f'FROM {busybox_image}\nRUN echo built > /built\nCMD ["cat", "/built"]\n'
    )
    with make_engine() as engine:
        built = engine.build(request, FAST)
        assert built.result.ok, built.result.log_tail
        assert built.image is not None
        assert "RUN echo built > /built" in built.result.log_tail
        [step] = [s for s in built.result.steps if s.instruction == "RUN echo built > /built"]
        assert step.line == 2
        assert step.status in ("done", "cached")
        assert built.result.builder is not None
        facts = engine.image_facts(built.image)
        assert 1_000_000 < facts.size_bytes < 5_000_000
        assert any("echo built" in layer.created_by for layer in facts.layers)
        run = engine.run(built.image, RunSpec(), FAST)
    assert run.stdout == "built\n"
    assert run.exit_code == 0
    assert not run.timed_out
    assert not run.stdout_truncated


def test_failing_build_names_the_step_and_leaves_no_container(tmp_path, busybox_image, make_engine):
    request = build_request(tmp_path, f"FROM {busybox_image}\nRUN echo before\nRUN exit 3\n")
    with make_engine() as engine:
        built = engine.build(request, FAST)
    assert not built.result.ok
    assert built.image is None
    assert built.result.error is not None
    assert "RUN exit 3" in built.result.error
    assert "non-zero code: 3" in built.result.error or "exit code: 3" in built.result.error
    [failed] = [s for s in built.result.steps if s.status == "failed"]
    assert (failed.line, failed.instruction) == (3, "RUN exit 3")


def test_build_timeout_stops_the_build(tmp_path, busybox_image, docker_client, make_engine):
    request = build_request(tmp_path, f"FROM {busybox_image}\nRUN echo start && sleep 600\n")
    started = time.monotonic()
    with make_engine() as engine:
        built = engine.build(request, FAST.model_copy(update={"build_timeout": 3}))
    elapsed = time.monotonic() - started
    assert built.result.timed_out
    assert not built.result.ok
    assert "the build was stopped at its time limit, 3 s" in (built.result.error or "")
    assert elapsed < 30
    time.sleep(1)  # the engine removes the cancelled step's container asynchronously
    left = [c for c in docker_client.api.containers(all=True) if "sleep 600" in c["Command"]]
    assert left == []
    assert not running("sleep 600")  # BuildKit's steps are processes, not containers


def test_run_timeout_kills_the_container(tmp_path, busybox_image, make_engine):
    request = build_request(
        tmp_path, f'FROM {busybox_image}\nCMD ["sh", "-c", "echo up; sleep 600"]\n'
    )
    with make_engine() as engine:
        built = engine.build(request, FAST)
        assert built.image
        started = time.monotonic()
        run = engine.run(built.image, RunSpec(), FAST.model_copy(update={"run_timeout": 2}))
    assert run.timed_out
    assert run.stdout == "up\n"
    assert time.monotonic() - started < 20


def test_endless_output_is_capped_head_and_tail(tmp_path, busybox_image, make_engine):
    request = build_request(
        tmp_path, f'FROM {busybox_image}\nCMD ["sh", "-c", "echo FIRST; yes line"]\n'
    )
    limits = FAST.model_copy(update={"run_timeout": 3, "output_limit": 10_000})
    with make_engine() as engine:
        built = engine.build(request, limits)
        assert built.image
        run = engine.run(built.image, RunSpec(), limits)
    assert run.timed_out
    assert run.stdout_truncated
    assert run.stdout.startswith("FIRST\nline\n")
    assert "bytes cut by grader" in run.stdout
    assert len(run.stdout) < 10_200


def test_memory_hog_is_killed(tmp_path, busybox_image, make_engine):
    # tail keeps a whole "line" in memory, and /dev/zero never ends one
    request = build_request(tmp_path, f'FROM {busybox_image}\nCMD ["sh", "-c", "tail /dev/zero"]\n')
    limits = FAST.model_copy(update={"memory": 64 * 1024**2})
    with make_engine() as engine:
        built = engine.build(request, limits)
        assert built.image
        run = engine.run(built.image, RunSpec(), limits)
    assert run.oom_killed
    assert run.exit_code == 137
    assert not run.timed_out


def test_fork_bomb_hits_the_pids_cap(tmp_path, busybox_image, make_engine):
    script = "bomb() { bomb | bomb & }; bomb; sleep 2; echo survived"
    request = build_request(tmp_path, f'FROM {busybox_image}\nCMD ["sh", "-c", "{script}"]\n')
    limits = FAST.model_copy(update={"pids": 50, "run_timeout": 8})
    with make_engine() as engine:
        built = engine.build(request, limits)
        assert built.image
        started = time.monotonic()
        engine.run(built.image, RunSpec(), limits)
    assert time.monotonic() - started < 30


def test_sandbox_no_network_no_capabilities_no_new_privileges(tmp_path, busybox_image, make_engine):
    command = "ls /sys/class/net; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status"
    request = build_request(tmp_path, f"FROM {busybox_image}\n")
    with make_engine() as engine:
        built = engine.build(request, FAST)
        assert built.image
        run = engine.run(built.image, RunSpec(command=["sh", "-c", command]), FAST)
    lines = run.stdout.split()
    assert lines[0] == "lo"
    assert "eth0" not in lines
    assert "CapEff:\t0000000000000000" in run.stdout
    assert "NoNewPrivs:\t1" in run.stdout


def test_stdin_reaches_the_program(tmp_path, busybox_image, make_engine):
    request = build_request(tmp_path, f'FROM {busybox_image}\nCMD ["sh", "-c", "tr a-z A-Z"]\n')
    with make_engine() as engine:
        built = engine.build(request, FAST)
        assert built.image
        run = engine.run(built.image, RunSpec(stdin="hello\n"), FAST)
    assert run.stdout == "HELLO\n"
    assert run.exit_code == 0


def test_a_program_that_cannot_start_is_a_result(tmp_path, make_engine):
    (tmp_path / "f").write_text("x")
    request = build_request(tmp_path, 'FROM scratch\nCOPY f /f\nCMD ["/missing"]\n')
    with make_engine() as engine:
        built = engine.build(request, FAST)
        assert built.image
        run = engine.run(built.image, RunSpec(), FAST)
        present = engine.paths_exist(built.image, ["/f", "/missing", "/usr"])
    assert run.exit_code is None
    assert run.error is not None
    assert "could not start" in run.error
    assert present == {"/f": True, "/missing": False, "/usr": False}


def test_symlink_to_a_host_file_never_enters_the_image(tmp_path, busybox_image, make_engine):
    secret = tmp_path / "host-secret"
    secret.write_text("TOP SECRET ON THE HOST\n")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "link").symlink_to(secret)
    request = build_request(
        ctx, f'FROM {busybox_image}\nCOPY link /copied\nCMD ["sh", "-c", "cat /copied; true"]\n'
    )
    with make_engine() as engine:
        built = engine.build(request, FAST)
        if built.image is not None:
            run = engine.run(built.image, RunSpec(), FAST)
            assert "TOP SECRET" not in run.stdout
    assert "TOP SECRET" not in built.result.log_tail


def test_everything_is_removed_when_the_block_fails(
    tmp_path, busybox_image, docker_client, make_engine
):
    request = build_request(tmp_path, f'FROM {busybox_image}\nCMD ["sleep", "600"]\n')
    engine = make_engine()

    def run_until_stopped(image: str) -> None:
        with contextlib.suppress(Interrupted):  # what a run cut short by the clean-up raises
            engine.run(image, RunSpec(), FAST)

    def fail_with_a_run_going() -> None:
        with engine:
            built = engine.build(request, FAST)
            assert built.image
            # a run still going when the block fails: started from another thread
            threading.Thread(target=run_until_stopped, args=(built.image,), daemon=True).start()
            deadline = time.monotonic() + 10
            while not docker_client.api.containers(filters=selector):
                assert time.monotonic() < deadline
                time.sleep(0.1)
            raise RuntimeError("boom")

    selector = {"label": f"{LABEL}={engine.label}"}
    with pytest.raises(RuntimeError, match="boom"):
        fail_with_a_run_going()
    assert docker_client.api.containers(all=True, filters=selector) == []
    assert docker_client.api.images(filters={"reference": f"{engine.repository}:*"}) == []


@pytest.mark.keeps_objects
def test_keep_leaves_the_images_for_debugging(tmp_path, busybox_image, docker_client, make_engine):
    request = build_request(tmp_path, f"FROM {busybox_image}\nRUN true\n")
    with make_engine(keep=True) as engine:
        built = engine.build(request, FAST)
    try:
        assert built.image in engine.kept
        assert docker_client.images.get(built.image)
    finally:
        docker_client.api.remove_image(built.image, force=True)


def test_no_engine_is_one_clear_error():
    with (
        pytest.raises(EngineUnavailable) as info,
        open_engine(EngineOptions(docker_host="unix:///nonexistent/docker.sock")),
    ):
        pass
    message = str(info.value)
    assert "no Docker Engine answers at unix:///nonexistent/docker.sock" in message
    assert "\n" not in message


def test_a_scope_removes_its_images_while_the_run_goes_on(
    tmp_path, busybox_image, docker_client, make_engine
):
    request = build_request(
        tmp_path, f"FROM {busybox_image} AS a\nRUN echo a > /a\nFROM a\nRUN true\n"
    )
    with make_engine() as engine:
        with engine.scope():
            built = engine.build(request, FAST)
            assert built.image
            assert docker_client.images.get(built.image)
        deadline = time.monotonic() + 20  # removed in the background, while the run goes on
        while docker_client.api.images(name=built.image.split(":")[0], all=True):
            assert time.monotonic() < deadline, "the scope's image was not removed"
            time.sleep(0.1)
        later = engine.build(
            build_request(tmp_path / "2", f"FROM {busybox_image}\nRUN true\n"), FAST
        )
        assert later.image
        assert docker_client.images.get(later.image)


def test_read_only_root_keeps_tmp_writable(tmp_path, busybox_image, make_engine):
    request = build_request(tmp_path, f"FROM {busybox_image}\n")
    script = "touch /root/x 2>/dev/null && echo root-writable; touch /tmp/y && echo tmp-writable"
    limits = FAST.model_copy(update={"read_only": True})
    with make_engine() as engine:
        built = engine.build(request, limits)
        assert built.image
        run = engine.run(built.image, RunSpec(command=["sh", "-c", script]), limits)
    assert run.stdout == "tmp-writable\n"


def test_build_network_can_be_switched_off(tmp_path, busybox_image, make_engine):
    def dockerfile(mode: str) -> str:  # different steps: the build cache ignores the network
        run = f"RUN echo {mode} && ls /sys/class/net > /nets"
        return f'FROM {busybox_image}\n{run}\nCMD ["cat", "/nets"]\n'

    with make_engine() as engine:
        on = engine.build(build_request(tmp_path / "on", dockerfile("on")), FAST)
        off_limits = FAST.model_copy(update={"build_network": False})
        off = engine.build(build_request(tmp_path / "off", dockerfile("off")), off_limits)
        assert on.image
        assert off.image
        on_nets = engine.run(on.image, RunSpec(), FAST).stdout.split()
        off_nets = engine.run(off.image, RunSpec(), FAST).stdout.split()
    assert "eth0" in on_nets
    assert off_nets == ["lo"]


def test_a_build_step_is_capped_in_memory_and_processes(tmp_path, busybox_image, make_engine):
    """The classic builder caps a step's memory; BuildKit's steps get both caps from cgroups."""
    hog = "head -c 400m /dev/zero | tail > /dev/null; echo hog=$?"
    forks = (
        "for i in $(seq 100); do sleep 3 & done 2>/dev/null; sleep 1; echo forks=$(jobs | wc -l)"
    )
    request = build_request(tmp_path, f"FROM {busybox_image}\nRUN {hog}; {forks}\n")
    limits = FAST.model_copy(update={"memory": 64 * 1024**2, "pids": 40})
    with make_engine() as engine:
        built = engine.build(request, limits)
        enforced = engine.builder.enforced
    log = built.result.log_tail
    assert "memory" in enforced
    assert "hog=137" in log, log  # tail was killed at the cap
    if "pids" in enforced:
        assert "forks=100" not in log, log
    else:  # the classic builder has no process cap for a build step (docs/engines.md)
        assert engine.builder.name == "classic"
