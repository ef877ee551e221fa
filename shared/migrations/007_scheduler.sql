-- SPDX-License-Identifier: MIT
-- Schema scheduler: one row per (job, scheduled slot) run, and fenced leases so only one runner executes a job.

CREATE TABLE scheduler.job_runs (
    id            bigserial PRIMARY KEY,
    job           text NOT NULL,
    scheduled_for timestamptz NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    outcome       text NOT NULL DEFAULT 'running'
                  CHECK (outcome IN ('running', 'succeeded', 'failed', 'fenced')),
    rows_touched  bigint,
    error         text,
    runner        text,
    fence         bigint,
    UNIQUE (job, scheduled_for)
);
CREATE INDEX job_runs_started_at_idx ON scheduler.job_runs (started_at);

CREATE TABLE scheduler.job_leases (
    job        text PRIMARY KEY,
    holder     text,
    fence      bigint NOT NULL DEFAULT 0,
    expires_at timestamptz
);
