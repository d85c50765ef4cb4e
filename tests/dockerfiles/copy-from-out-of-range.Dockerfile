FROM alpine:3.19
FROM alpine:3.19
COPY --from=5 /a /a
