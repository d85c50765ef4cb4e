FROM scratch
ENV HOME=/root
WORKDIR "$HOME/app"
