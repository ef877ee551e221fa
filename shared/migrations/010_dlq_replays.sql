-- SPDX-License-Identifier: MIT
-- public.shopq_dlq_replays: every dead letter an operator replayed (who, when, which message).
CREATE TABLE IF NOT EXISTS public.shopq_dlq_replays (
    id          bigserial PRIMARY KEY,
    queue       text NOT NULL,
    message_id  text,
    reason      text,
    replayed_by text NOT NULL,
    replayed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS shopq_dlq_replays_at_idx ON public.shopq_dlq_replays (replayed_at);
