FROM scratch
LABEL description='My first image
