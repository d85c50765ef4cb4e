FROM golang:1.20 AS build
RUN CGO_ENABLED=0 go build -o /out/app .
FROM scratch
COPY --from=build /out/app /app
RUN chmod +x /app
CMD /app --serve
