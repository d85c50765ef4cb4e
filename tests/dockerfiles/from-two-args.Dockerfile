FROM alpine:3.19 builder
