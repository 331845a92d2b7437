# Production image for the API and the worker (same image, different command).
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Production dependencies only: the image's Node is already 24, so the
# `node` devDependency (used on Node 20 machines) is not needed here.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY . .
USER node
EXPOSE 3000
CMD ["node", "server.ts"]
