FROM scratch
USER 'nobody
