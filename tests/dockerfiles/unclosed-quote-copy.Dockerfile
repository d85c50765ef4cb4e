FROM scratch
COPY "app.py /app/
