FROM alpine:3.19 AS one
COPY --from=1 /a /a
FROM alpine:3.19 AS two
