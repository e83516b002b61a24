# LatteStream server image: a build stage with the Rust toolchain, then a small Debian runtime that
# runs the binary as an unprivileged user with its data (the embedded SQLite app store) in a volume.
#
#   docker build -t lattestream .
#   docker run -p 6001:6001 -v lattestream-data:/var/lib/lattestream lattestream
#
# Not built in this project's CI (its machines have no Docker daemon): keep it this simple.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --package lattestream --bin lattestream \
 && strip target/release/lattestream

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/lattestream --create-home lattestream
COPY --from=build /src/target/release/lattestream /usr/local/bin/lattestream
USER lattestream
WORKDIR /var/lib/lattestream
VOLUME ["/var/lib/lattestream"]
ENV LATTESTREAM_ADDR=0.0.0.0:6001 \
    LATTESTREAM_DATA_DIR=/var/lib/lattestream \
    LATTESTREAM_LOG_FORMAT=json
EXPOSE 6001
# /health answers 200 while the process serves (with tls.cert set, probe https:// with curl -k).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://127.0.0.1:6001/health || exit 1
# SIGTERM: clients are asked to reconnect elsewhere (4200) and the server drains, then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["lattestream"]
CMD ["serve"]
