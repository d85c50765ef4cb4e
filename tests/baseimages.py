"""Local stand-ins for the public base images the lesson uses, made without any registry.

No registry is reachable where the tests run, so nothing can be pulled. These images are made
from what the machine has: a 2 MB shell image from the static busybox binary, and a real Debian
(debootstrap) on which Debian's packages give Go, Node.js and Python. They live under the
``grader-test/`` namespace, never under the public names, so a user's own images are never
touched; grading maps the public names onto them with an image map.

Each image carries a label with a hash of its recipe: a rerun reuses what is current and remakes
what changed. Run ``python -m tests.baseimages`` to make them all (the example and the benchmark
do); the tests make the ones they need through fixtures.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import docker
import docker.errors

NAMESPACE = "grader-test"
RECIPE_LABEL = "grader-test.recipe"
BUSYBOX = f"{NAMESPACE}/busybox:latest"
DEBIAN = f"{NAMESPACE}/debian:bookworm"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CACHE = Path(os.environ.get("GRADER_TEST_CACHE", Path.home() / ".cache" / "grader-test"))

# As the official images do: no package lists, caches, manuals or translations left behind.
_SLIM = (
    "/var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb "
    "/usr/share/doc/* /usr/share/man/* /usr/share/locale/*"
)
_APT = (
    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
    "--no-install-recommends {packages} && apt-get clean && rm -rf " + _SLIM
)
_CA_SETUP = (
    "COPY ca.crt /usr/local/share/grader-test/ca.crt\n"
    "ENV PIP_CERT=/usr/local/share/grader-test/ca.crt "
    "NODE_EXTRA_CA_CERTS=/usr/local/share/grader-test/ca.crt "
    "SSL_CERT_FILE=/usr/local/share/grader-test/ca.crt\n"
)

# name: (parent, Dockerfile body after FROM). Bodies mimic the official images where the lesson
# relies on it: Go under /usr/local/go, `python` and `pip` commands, pip allowed to install, and
# compilers in the full (non-slim) images, which is most of why those are so large.
RECIPES: dict[str, tuple[str, str]] = {
    f"{NAMESPACE}/alpine:3.19": (BUSYBOX, 'CMD ["sh"]\n'),
    f"{NAMESPACE}/golang:1.20": (
        DEBIAN,
        "RUN "
        + _APT.format(packages="golang-go ca-certificates")
        + " && ln -s /usr/lib/go /usr/local/go\n"
        "ENV PATH=/usr/local/go/bin:/go/bin:$PATH GOPATH=/go GOTOOLCHAIN=local\n"
        "WORKDIR /go\n",
    ),
    f"{NAMESPACE}/node:18-slim": (
        DEBIAN,
        _CA_SETUP + "RUN " + _APT.format(packages="nodejs ca-certificates") + '\nCMD ["node"]\n',
    ),
    f"{NAMESPACE}/node:18": (
        DEBIAN,
        _CA_SETUP
        + "RUN "
        + _APT.format(packages="nodejs npm g++ make python3 git ca-certificates")
        + "\n"
        'CMD ["node"]\n',
    ),
    f"{NAMESPACE}/python:3.11-slim": (
        DEBIAN,
        _CA_SETUP
        + "RUN "
        + _APT.format(packages="python3 python3-pip ca-certificates")
        + " && ln -s /usr/bin/python3 /usr/local/bin/python"
        " && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED\n"
        'CMD ["python3"]\n',
    ),
    f"{NAMESPACE}/python:3.11": (
        DEBIAN,
        _CA_SETUP
        + "RUN "
        + _APT.format(packages="python3 python3-pip python3-dev gcc make libc6-dev ca-certificates")
        + " && ln -s /usr/bin/python3 /usr/local/bin/python"
        " && rm -f /usr/lib/python3*/EXTERNALLY-MANAGED\n"
        'CMD ["python3"]\n',
    ),
}

# What students write -> what is built here.
IMAGE_MAP: dict[str, str] = {
    "golang:1.20": f"{NAMESPACE}/golang:1.20",
    "golang:1.20-alpine": f"{NAMESPACE}/golang:1.20",
    "alpine": f"{NAMESPACE}/alpine:3.19",
    "alpine:latest": f"{NAMESPACE}/alpine:3.19",
    "alpine:3.19": f"{NAMESPACE}/alpine:3.19",
    "busybox": BUSYBOX,
    "node:18": f"{NAMESPACE}/node:18",
    "node:18-slim": f"{NAMESPACE}/node:18-slim",
    "python:3.11": f"{NAMESPACE}/python:3.11",
    "python:3.11-slim": f"{NAMESPACE}/python:3.11-slim",
}


def _log(message: str) -> None:
    print(f"[baseimages] {message}", file=sys.stderr, flush=True)


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _current(client: docker.DockerClient, name: str, recipe: str) -> bool:
    try:
        image = client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return (image.labels or {}).get(RECIPE_LABEL) == recipe


def _import(client: docker.DockerClient, name: str, archive: bytes, recipe: str) -> None:
    repository, tag = name.rsplit(":", 1)
    client.api.import_image_from_data(
        archive,
        repository=repository,
        tag=tag,
        changes=[f"LABEL {RECIPE_LABEL}={recipe}", 'CMD ["sh"]'],
    )


def busybox_rootfs() -> bytes:
    """A tar of /bin/busybox (static) and a link per applet: a whole shell in 2 MB."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    applets = subprocess.run(
        [busybox, "--list"], check=True, capture_output=True, text=True
    ).stdout.split()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for directory in ("bin", "tmp", "etc", "root"):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            tar.addfile(info)
        tar.add(busybox, arcname="bin/busybox")
        for applet in applets:
            if applet == "busybox":
                continue
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type = tarfile.SYMTYPE
            link.linkname = "busybox"
            tar.addfile(link)
        passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
        info = tarfile.TarInfo("etc/passwd")
        info.size = len(passwd)
        tar.addfile(info, io.BytesIO(passwd))
    return buffer.getvalue()


def ensure_busybox(client: docker.DockerClient) -> str:
    """The 2 MB shell image."""
    rootfs = busybox_rootfs()
    recipe = _digest(rootfs)
    if not _current(client, BUSYBOX, recipe):
        _log(f"making {BUSYBOX}")
        _import(client, BUSYBOX, rootfs, recipe)
    return BUSYBOX


def _debootstrap(target: Path) -> None:
    if (target / "etc" / "debian_version").exists():
        return
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is missing: apt-get install -y debootstrap")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    _log(f"debootstrap bookworm into {partial} (about a minute)")
    subprocess.run(
        [
            "debootstrap",
            "--variant=minbase",
            "bookworm",
            str(partial),
            "http://deb.debian.org/debian",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    partial.rename(target)


def ensure_debian(client: docker.DockerClient) -> str:
    """A minimal Debian bookworm, the parent of every toolchain stand-in."""
    recipe = _digest("debootstrap --variant=minbase bookworm", _SLIM, "2")
    if _current(client, DEBIAN, recipe):
        return DEBIAN
    rootfs = CACHE / "bookworm"
    _debootstrap(rootfs)
    _log(f"importing {DEBIAN}")
    leftovers = [f"--exclude=.{pattern}" for pattern in _SLIM.replace("/*", "/?*").split()]
    archive = subprocess.run(
        ["tar", "-C", str(rootfs), "--numeric-owner", *leftovers, "-c", "."],
        check=True,
        capture_output=True,
    ).stdout
    _import(client, DEBIAN, archive, recipe)
    return DEBIAN


def ensure(client: docker.DockerClient, names: Iterable[str]) -> dict[str, str]:
    """Make the named stand-ins (and their parents); returns the image map for them."""
    wanted = list(names)
    ensure_busybox(client)
    if any(RECIPES[n][0] == DEBIAN for n in wanted):
        ensure_debian(client)
    ca = CA_BUNDLE.read_bytes() if CA_BUNDLE.exists() else b""
    for name in wanted:
        parent, body = RECIPES[name]
        parent_id = client.images.get(parent).id
        recipe = _digest(parent_id, body, ca)
        if _current(client, name, recipe):
            continue
        dockerfile = f"FROM {parent}\n{body}LABEL {RECIPE_LABEL}={recipe}\n"
        started = time.monotonic()
        _log(f"building {name}")
        with tempfile.TemporaryDirectory() as context:
            Path(context, "Dockerfile").write_text(dockerfile)
            Path(context, "ca.crt").write_bytes(ca)
            try:
                client.images.build(path=context, tag=name, rm=True, forcerm=True, pull=False)
            except docker.errors.BuildError as exc:
                log = "".join(str(chunk.get("stream", "")) for chunk in exc.build_log)
                raise RuntimeError(f"building {name} failed: {exc}\n{log[-3000:]}") from exc
        _log(f"built {name} in {time.monotonic() - started:.0f} s")
    return {src: dst for src, dst in IMAGE_MAP.items() if dst in wanted or dst == BUSYBOX}


def ensure_all(client: docker.DockerClient) -> dict[str, str]:
    """Every stand-in the lesson needs."""
    ensure(client, RECIPES)
    return dict(IMAGE_MAP)


def image_map_args(mapping: dict[str, str]) -> list[str]:
    """The map as `--image-map SRC=DST` arguments."""
    args: list[str] = []
    for source, target in sorted(mapping.items()):
        args += ["--image-map", f"{source}={target}"]
    return args


# What the bundled example's Dockerfiles name: pulled when a registry answers.
LESSON_IMAGES = ("golang:1.20", "node:18", "node:18-slim", "python:3.11", "python:3.11-slim")
_REGISTRY_PROBE = "busybox:latest"
_PROBE_SECONDS = 20


def registry_answers(client: docker.DockerClient) -> bool:
    """Whether the engine can pull from its registry: a small pull, given 20 s."""
    outcome: list[bool] = []

    def pull() -> None:
        try:
            client.images.pull(_REGISTRY_PROBE)
            outcome.append(True)
        except docker.errors.DockerException:
            outcome.append(False)

    thread = threading.Thread(target=pull, daemon=True)
    thread.start()
    thread.join(_PROBE_SECONDS)
    return bool(outcome and outcome[0])


def for_example(client: docker.DockerClient) -> dict[str, str]:
    """The image map the example grades with: none when the lesson's real images can be had.

    grader pulls each base image it needs once per run, so with a registry nothing is mapped;
    without one, the stand-ins are made and mapped. Says on stderr which it did.
    """
    if registry_answers(client):
        _log(
            f"a registry answers: grading with the lesson's own images ({', '.join(LESSON_IMAGES)})"
        )
        return {}
    _log("no registry answers: grading with local stand-ins under grader-test/")
    return ensure_all(client)


def main() -> int:
    """Make the stand-ins (or, with --for-example, only when no registry answers)."""
    try:
        engine = docker.from_env(timeout=600)
        made = for_example(engine) if "--for-example" in sys.argv else ensure_all(engine)
    except (RuntimeError, OSError, docker.errors.DockerException) as exc:
        print(f"baseimages: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if "--print-map" in sys.argv or "--for-example" in sys.argv:
        print(" ".join(image_map_args(made)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
