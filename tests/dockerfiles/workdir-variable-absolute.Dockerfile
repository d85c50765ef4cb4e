FROM scratch
ENV DIR=/srv
WORKDIR $DIR/app
