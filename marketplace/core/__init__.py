"""Infrastructure every domain shares: db pool and transactions, errors, jobs (the outbox), logging."""
