ARG BASE=alpine:3.19
FROM ${BASE} AS base
FROM ${UNDECLARED:-busybox:1.36}
COPY --from=base /etc/os-release /os-release
