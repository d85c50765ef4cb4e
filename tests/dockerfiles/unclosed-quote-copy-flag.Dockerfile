FROM scratch
COPY --chown="1000 app.py /app/
