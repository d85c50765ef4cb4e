FROM scratch
WORKDIR '/app'
