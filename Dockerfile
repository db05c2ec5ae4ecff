# syntax=docker/dockerfile:1
# Once-Only Gateway: multi-stage build on Node 24 LTS; the runtime image holds production dependencies and the
# compiled code only, runs as a non-root user, and keeps its state (SQLite store, subject key) in a volume.

# --- build: compile TypeScript and build native modules ------------------------------------------------------
FROM node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY gateway ./gateway
COPY connectors ./connectors
COPY demo-registers ./demo-registers
COPY certs-example ./certs-example
COPY schemas ./schemas
RUN npm run build \
 && npm prune --omit=dev

# --- runtime -----------------------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    OOG_DATA_DIR=/var/lib/oog
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY policies ./policies
# The portal's style sheet is read from the project root (gateway/web/create-web-router.ts). Chromium and the
# browser tests are test-only: not in the image.
COPY gateway/web/static ./gateway/web/static
# Example PKI so the image starts in demo mode; mount real participants, keys and policies for production
# (OOG_PARTICIPANTS_FILE, OOG_GATEWAY_KEY, OOG_POLICIES_DIR, OOG_CALLBACK_SECRETS_FILE: mode 0600, owned by node).
COPY certs-example ./certs-example
RUN mkdir -p /var/lib/oog && chown node:node /var/lib/oog
USER node
VOLUME ["/var/lib/oog"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/oog.js"]
CMD ["start"]
