FROM alpine:3.19 AS base
ARG IMAGE=busybox:1.36
FROM ${IMAGE}
