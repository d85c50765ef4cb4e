FROM golang:1.20
WORKDIR /app
COPY . .
RUN go build -o myapp .

FROM alpine:3.19
CMD ["echo", "hello"]
