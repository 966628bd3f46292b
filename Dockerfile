# The web and worker image (compose.yaml). Front-end assets come from the same pinned npm packages.
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
# Only the assets leave this stage; compose runs the official Meilisearch image.
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && mkdir -p vendor \
 && cp node_modules/htmx.org/dist/htmx.min.js node_modules/@picocss/pico/css/pico.min.css \
       node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
       node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js vendor/

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY marketplace marketplace
COPY vendors vendors
COPY rfq rfq
COPY search search
COPY web web
COPY bench bench
COPY migrations migrations
RUN pip install --no-cache-dir -c constraints.txt . \
 && useradd --system --uid 10001 tradeyard
COPY --from=assets /build/vendor web/static/vendor
USER tradeyard
EXPOSE 8000
CMD ["python", "-m", "marketplace", "serve", "--host", "0.0.0.0", "--port", "8000"]
