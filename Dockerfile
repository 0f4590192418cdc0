# The orgbound API image. tsx runs the TypeScript sources, so there is no build step: `npm start`.
# docker-compose.yml runs three replicas of it behind nginx, pooled by pgbouncer.
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
# Dependencies first (cached while only the sources change); patches/ is applied by postinstall.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
USER node
EXPOSE 4000
CMD ["npm", "start"]
