-- The cron sweep looks for webhook secrets still to seal (in clear, or under the previous key
-- of a rotation) by ranges of these columns, so each minute it reads what it seals rather than
-- every webhook of every tenant (see subscriptions::unsealed). They hold sealed values only.
CREATE INDEX webhooks_by_secret ON webhooks (secret);
CREATE INDEX webhooks_by_previous_secret ON webhooks (previous_secret);
