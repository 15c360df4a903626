-- Usage is kept for a while (serve --usage-retention), then pruned by day.
CREATE INDEX api_key_usage_day ON api_key_usage (day);
