FROM alpine:3.19
COPY <<EOF /etc/motd
FROM this is not an instruction
EOF
CMD ["cat", "/etc/motd"]
