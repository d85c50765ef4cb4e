FROM alpine:3.19
COPY --from=0 /etc/hostname /h
