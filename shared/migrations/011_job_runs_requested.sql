-- SPDX-License-Identifier: MIT
-- scheduler.job_runs.requested: a run asked for by job.run (not a cron slot).
-- Pruning old runs keeps each job's latest cron slot, which is how a restarted
-- scheduler knows that slot already ran; a requested run says nothing of that.
ALTER TABLE scheduler.job_runs ADD COLUMN IF NOT EXISTS requested boolean NOT NULL DEFAULT false;
