ARG IMAGE=docker.io/library/alpine:3.19
FROM ${IMAGE#docker.io/library/}
