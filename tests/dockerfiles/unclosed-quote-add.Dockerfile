FROM scratch
ADD "app.tar.gz /app/
