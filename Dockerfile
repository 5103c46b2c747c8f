# Convoy: one image for the API and the worker (docker-compose.yml picks the command).
# Build stage: install everything (the build needs TypeScript and AssemblyScript), compile to dist/,
# then drop the dev dependencies. Runtime stage: Node 20, production modules and dist/ only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY assembly ./assembly
# onnxruntime-node (a dev dependency: the ONNX export's tests) ships its CPU binaries; its install
# script only downloads CUDA ones. npm 11 skips the script (package.json `allowScripts`); this
# image's npm 10 is told to by the script's own switch.
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# MALLOC_MMAP_THRESHOLD_: glibc maps every block over 128 KiB on its own, so the buffers of a
# finished job go back to the system instead of staying in malloc's arenas (docs/operations.md).
ENV NODE_ENV=production \
    MALLOC_MMAP_THRESHOLD_=131072 \
    HOST=0.0.0.0 \
    PORT=3000 \
    CONVOY_CACHE_DIR=/data/cache
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# the dashboard at / (static files) and the job examples it offers
COPY web ./web
COPY examples ./examples
RUN mkdir -p /data/cache /data/convoy && chown -R node:node /data
USER node
EXPOSE 3000
# The API alone by default; the worker service runs `node dist/workers/main.js`.
CMD ["node", "dist/src/server/main.js"]
