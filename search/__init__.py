"""Meilisearch: index settings as code, document builders, the indexer, queries. Domains never import this."""
