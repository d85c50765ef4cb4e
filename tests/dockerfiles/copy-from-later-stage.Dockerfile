FROM alpine:3.19 AS one
COPY --from=two /a /a
FROM alpine:3.19 AS two
RUN echo two > /a
