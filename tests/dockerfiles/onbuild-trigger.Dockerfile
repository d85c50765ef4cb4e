FROM alpine:3.19 AS assets
RUN echo hi > /hi
FROM alpine:3.19 AS base
ONBUILD COPY --from=assets /hi /hi
FROM base
CMD ["cat", "/hi"]
