# The mylib service: Rust library + Node.js runtime, in four stages.
#   rust     builds the cdylib (std only: no crate is downloaded)
#   build    compiles the TypeScript (bindings, reference, service) to dist/ and puts the
#            library under its platform-tagged name where the loader looks (artifacts/mylib.<tag>.so)
#   deps     production node_modules only (koffi and its native package; fastify from the
#            service workspace, service/package.json)
#   runtime  slim Node image: dist/, artifacts/, node_modules, package.json; non-root; HEALTHCHECK
#
#   docker build -t mylib-service .
#   docker run --rm -p 127.0.0.1:8000:8000 mylib-service
#
# Base images are build arguments so the same file works on any Docker host, and with local
# images where Docker Hub cannot be reached (scripts/docker/test-docker.mjs builds those).
# Behind a TLS-intercepting proxy, pass its CA certificates (PEM text) to the npm steps:
#   docker build --build-arg EXTRA_CA_CERTS="$(cat /usr/local/share/ca-certificates/*.crt)" .
ARG RUST_IMAGE=rust:1-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${RUST_IMAGE} AS rust
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY rustlib ./rustlib
RUN cargo build --release --lib --locked \
 && cp target/release/libmylib.so /libmylib.so

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ARG EXTRA_CA_CERTS=""
# The service is an npm workspace (service/package.json holds fastify): npm ci needs its manifest.
COPY package.json package-lock.json ./
COPY service/package.json ./service/
# --ignore-scripts: the root "prepare" script would build Rust (done in the rust stage);
# koffi's native code comes from its optional package, which npm ci installs.
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; \
      export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci --ignore-scripts --no-audit --no-fund \
 && unset NODE_EXTRA_CA_CERTS && rm -f /tmp/extra-ca.pem
COPY tsconfig.json tsconfig.build.json tsconfig.service.json ./
COPY bindings ./bindings
COPY reference ./reference
COPY service ./service
RUN npx tsc -p tsconfig.service.json
# The library's file name and folder come from the bindings themselves (names.ts, loader.ts):
# the compiled loader looks in <package root>/artifacts/, i.e. /app/artifacts/.
COPY --from=rust /libmylib.so /tmp/libmylib.so
RUN node --input-type=module -e " \
      import { copyFileSync, mkdirSync } from 'node:fs'; \
      import { hostPlatform, libraryFileName } from '/app/dist/bindings/names.js'; \
      import { ARTIFACTS_DIR } from '/app/dist/bindings/loader.js'; \
      if (ARTIFACTS_DIR !== '/app/artifacts/') throw new Error('the loader looks in ' + ARTIFACTS_DIR + ', the Dockerfile copies /app/artifacts/: update it'); \
      mkdirSync(ARTIFACTS_DIR, { recursive: true }); \
      const target = ARTIFACTS_DIR + libraryFileName(hostPlatform()); \
      copyFileSync('/tmp/libmylib.so', target); console.log('library:', target);"

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ARG EXTRA_CA_CERTS=""
COPY package.json package-lock.json ./
COPY service/package.json ./service/
# --omit=dev keeps optional dependencies: @koromix/koffi-linux-<arch> must be installed.
# The root's koffi and the service workspace's fastify; the workspace's link is dropped (the
# image runs the compiled dist/service/, not the service/ folder).
RUN if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > /tmp/extra-ca.pem; \
      export NODE_EXTRA_CA_CERTS=/tmp/extra-ca.pem; fi \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && unset NODE_EXTRA_CA_CERTS && rm -f /tmp/extra-ca.pem \
 && rm -f node_modules/mylib-service \
 && node -e "require('koffi'); require.resolve('fastify'); console.log('koffi loads, fastify is installed')"

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    MYLIB_ENGINE=rust
WORKDIR /app
RUN groupadd --gid 10001 mylib \
 && useradd --uid 10001 --gid mylib --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mylib
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/artifacts ./artifacts
USER mylib:mylib
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node runs as PID 1: the service handles SIGTERM itself (drain, close handles, exit 0).
STOPSIGNAL SIGTERM
CMD ["node", "dist/service/main.js"]
