FROM alpine:3.19
COPY --from=nginx:1.25-alpine /etc/nginx/nginx.conf /nginx.conf
COPY --from=nginx:latest /etc/nginx/mime.types /mime.types
