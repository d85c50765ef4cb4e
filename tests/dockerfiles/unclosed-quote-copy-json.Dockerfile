FROM scratch
COPY ["it's.txt", "/app/"]
