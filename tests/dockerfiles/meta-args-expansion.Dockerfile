ARG REGISTRY=docker.io
ARG GO_VERSION=1.20
ARG EMPTY=
ARG UNSET
FROM ${REGISTRY}/library/golang:${GO_VERSION} AS a
FROM golang:$GO_VERSION AS b
FROM alpine:${UNSET:-3.19} AS c
FROM alpine:${EMPTY:-3.18} AS d
FROM alpine:${EMPTY-3.17}x AS e
FROM busybox${GO_VERSION:+:1.36} AS f
FROM busybox${EMPTY:+:bad}:1.35 AS g
FROM busybox${EMPTY+:1.34} AS h
FROM busybox:1.33${UNSET+bad} AS i
