#!/usr/bin/env bash
# Make sure a Docker Engine answers. On a fresh Debian machine, as root, install what the tests
# and the example need from Debian's packages (docker.io, whose 20.10 CLI drives BuildKit;
# busybox-static and debootstrap for the local stand-in images) and start dockerd; elsewhere,
# only check and say what is missing. Idempotent: quick when everything is already there.
set -euo pipefail

# Debian's packages only on Debian, as root; elsewhere (macOS, Docker Desktop, a remote
# DOCKER_HOST) only check that an engine answers, and say what is missing.
debian=false
if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
  debian=true
fi
need=()
command -v dockerd >/dev/null 2>&1 || docker info >/dev/null 2>&1 || need+=(docker.io)
if $debian; then  # the local stand-in base images are made from these
  dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
fi
if [ ${#need[@]} -gt 0 ]; then
  if ! $debian; then
    echo "engine.sh: no Docker Engine answers; start one (dockerd, Docker Desktop) or set DOCKER_HOST" >&2
    exit 2
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "engine.sh: no Docker Engine answers; start one (dockerd, Docker Desktop)" >&2
    exit 2
  fi
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
fi
if ! docker info >/dev/null 2>&1; then
  echo "engine.sh: dockerd did not come up; see /var/log/dockerd.log" >&2
  exit 2
fi
echo "Docker Engine $(docker version --format '{{.Server.Version}}') is up"
