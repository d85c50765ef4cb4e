FROM alpine:3.19 AS 1build
