FROM scratch
VOLUME "/data
