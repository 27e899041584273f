"""The supervision service's own tables (the outbox and inbox come from rounds.infra).

Instants are UTC (``UtcDateTime``); dates that the policy counts in (a start date, a due date, the
day of a meeting) are the provider's local calendar dates. Nested parts of a record (actions,
signatures, reschedules) are JSON: they are read and written with their parent, never alone.
"""

from __future__ import annotations

import sqlalchemy as sa

from rounds.infra.db import UtcDateTime

metadata = sa.MetaData()

_id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

supervisees = sa.Table(
    "supervisees",
    metadata,
    sa.Column("worker_id", sa.Uuid(), primary_key=True),
    sa.Column("given_name", sa.String(200), nullable=False),
    sa.Column("family_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(50), nullable=False),
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("start_date", sa.Date()),
    sa.Column("known_since", UtcDateTime(), nullable=False),
    sa.Column("known_on", sa.Date(), nullable=False),
    sa.Column("new_starter", sa.Boolean(), nullable=False),
    sa.Column("nqsw", sa.Boolean(), nullable=False),
    sa.Column("on_probation", sa.Boolean(), nullable=False),
    sa.Column("probation_months", sa.Integer(), nullable=False),
    sa.Column("supervisor_id", sa.Uuid(), index=True),
    sa.Column("line_manager_id", sa.Uuid(), index=True),
    sa.Column("team", sa.String(200), index=True),
    # False once people says the worker has left: no more obligations, notices or team counts.
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
)

agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("supervisee_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("supervisor_id", sa.Uuid(), nullable=False),
    sa.Column("frequency", sa.String(30), nullable=False),
    sa.Column("duration_minutes", sa.Integer(), nullable=False),
    sa.Column("venue", sa.String(300), nullable=False),
    sa.Column("team", sa.String(200)),
    sa.Column("agreed_on", sa.Date(), nullable=False),
    sa.Column("review_on", sa.Date(), nullable=False),
    sa.Column("expectations", sa.JSON(), nullable=False),
    sa.Column("supervisee_signed_at", UtcDateTime()),
    sa.Column("supervisor_signed_at", UtcDateTime()),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("replaces_id", sa.Uuid()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("supervisor_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("supervisee_ids", sa.JSON(), nullable=False),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("reflective", sa.Boolean(), nullable=False),
    sa.Column("starts_at", UtcDateTime(), nullable=False),
    sa.Column("duration_minutes", sa.Integer(), nullable=False),
    sa.Column("venue", sa.String(300), nullable=False),
    sa.Column("series_id", sa.Uuid()),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reschedules", sa.JSON(), nullable=False),
)

session_participants = sa.Table(
    "session_participants",
    metadata,
    sa.Column("session_id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), primary_key=True, index=True),
)

records = sa.Table(
    "records",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("session_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("supervisor_id", sa.Uuid(), nullable=False),
    sa.Column("supervisee_ids", sa.JSON(), nullable=False),
    sa.Column("meeting_on", sa.Date(), nullable=False),
    sa.Column("content", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("signatures", sa.JSON(), nullable=False),
    sa.Column("disagreement", sa.JSON()),
    sa.Column("amends_id", sa.Uuid()),
    sa.Column("signed_at", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

milestones = sa.Table(
    "milestones",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("stage", sa.Integer(), nullable=False),
    sa.Column("completed_on", sa.Date(), nullable=False),
    sa.Column("outcome", sa.String(40), nullable=False),
    sa.Column("notes", sa.Text(), nullable=False),
    sa.Column("recorded_by", sa.Uuid(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("worker_id", "kind", "stage", name="uq_milestones_stage"),
)

training_records = sa.Table(
    "training_records",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("course", sa.String(200), nullable=False),
    sa.Column("completed_on", sa.Date(), nullable=False),
    sa.Column("expires_on", sa.Date()),
    sa.Column("mandatory", sa.Boolean(), nullable=False),
    sa.Column("recorded_by", sa.Uuid(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
)

dbs_checks = sa.Table(
    "dbs_checks",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("checked_on", sa.Date(), nullable=False),
    sa.Column("recheck_due_on", sa.Date(), nullable=False),
    sa.Column("recorded_by", sa.Uuid(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
)

record_shares = sa.Table(
    "record_shares",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("shared_with", sa.Uuid(), nullable=False),
    sa.Column("purpose", sa.String(500), nullable=False),
    sa.Column("consent_given", sa.Boolean(), nullable=False),
    sa.Column("reason", sa.Text()),
    sa.Column("shared_by", sa.Uuid(), nullable=False),
    sa.Column("shared_at", UtcDateTime(), nullable=False),
    sa.Column("until", sa.Date()),
)

# 004 1.37 and 1.43: every read of a worker's supervision records, allowed or not, is kept.
record_reads = sa.Table(
    "record_reads",
    metadata,
    sa.Column("id", _id_type, primary_key=True, autoincrement=True),
    sa.Column("read_at", UtcDateTime(), nullable=False),
    sa.Column("reader_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("resource", sa.String(60), nullable=False),
    sa.Column("resource_id", sa.String(60)),
    sa.Column("basis", sa.String(40), nullable=False),
)

# What has been announced, so each notice leaves once even with several replicas checking: a second
# replica's insert of the same (worker, rule, item, due date, state) is a no-op (ON CONFLICT DO NOTHING).
compliance_notices = sa.Table(
    "compliance_notices",
    metadata,
    sa.Column("worker_id", sa.Uuid(), primary_key=True),
    sa.Column("rule", sa.String(60), primary_key=True),
    sa.Column("item", sa.String(200), primary_key=True),
    sa.Column("due_on", sa.Date(), primary_key=True),
    sa.Column("state", sa.String(20), primary_key=True),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("emitted_at", UtcDateTime(), nullable=False),
)

# A worker's personal development plans (000 P28); goals and reviews travel with the plan.
development_plans = sa.Table(
    "development_plans",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("agreed_on", sa.Date(), nullable=False),
    sa.Column("agreed_by", sa.Uuid(), nullable=False),
    sa.Column("goals", sa.JSON(), nullable=False),
    sa.Column("reviews", sa.JSON(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

# Appraisals (004 1.7, appendix 2 item 4).
appraisals = sa.Table(
    "appraisals",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("appraiser_id", sa.Uuid(), nullable=False),
    sa.Column("held_on", sa.Date(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("objectives", sa.JSON(), nullable=False),
    sa.Column("training_needs", sa.JSON(), nullable=False),
    sa.Column("next_review_on", sa.Date(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

# Observations of practice and spot checks, each at a visit the rota announced (000 P9).
observations = sa.Table(
    "observations",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("observer_id", sa.Uuid(), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("visit_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("individual_id", sa.Uuid(), nullable=False),
    sa.Column("observed_on", sa.Date(), nullable=False),
    sa.Column("areas", sa.JSON(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("actions", sa.JSON(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

# Feedback about a worker's practice from individuals, key people and others (000 P8, P22).
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("source", sa.String(30), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("received_on", sa.Date(), nullable=False),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("recorded_by", sa.Uuid(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("individual_id", sa.Uuid()),
    sa.Column("key_person_id", sa.Uuid()),
    sa.Column("from_name", sa.String(200)),
    sa.Column("visit_id", sa.Uuid()),
    sa.Column("channel", sa.String(40)),
)

# The progression pathway's portfolio (004 progression arrangements).
progression_evidence = sa.Table(
    "progression_evidence",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("worker_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("year", sa.Integer(), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("completed_on", sa.Date(), nullable=False),
    sa.Column("recorded_by", sa.Uuid(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("signed_off_by", sa.Uuid()),
    sa.Column("signed_off_on", sa.Date()),
)

# The rota's visits as their events tell them: what an observation or feedback may name.
visits_seen = sa.Table(
    "visits_seen",
    metadata,
    sa.Column("visit_id", sa.Uuid(), primary_key=True),
    sa.Column("individual_id", sa.Uuid(), nullable=False),
    sa.Column("locality", sa.String(200), nullable=False),
    sa.Column("local_date", sa.Date(), nullable=False),
    sa.Column("planned_start", UtcDateTime(), nullable=False),
    sa.Column("planned_end", UtcDateTime(), nullable=False),
    sa.Column("workers", sa.JSON(), nullable=False),
    sa.Column("cancelled", sa.Boolean(), nullable=False),
)

# People's workers with their skills and competencies (the skills-gap report's supply, 000 P29).
workforce = sa.Table(
    "workforce",
    metadata,
    sa.Column("worker_id", sa.Uuid(), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("locality", sa.String(200), nullable=False, index=True),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("may_work", sa.Boolean(), nullable=False),
    sa.Column("skills", sa.JSON(), nullable=False),
    sa.Column("competencies", sa.JSON(), nullable=False),
)

# The skills each individual's agreed plan requires (the skills-gap report's demand, 000 P30).
plan_demand = sa.Table(
    "plan_demand",
    metadata,
    sa.Column("individual_id", sa.Uuid(), primary_key=True),
    sa.Column("plan_version", sa.Integer(), nullable=False),
    sa.Column("locality", sa.String(200), nullable=False, index=True),
    sa.Column("start_date", sa.Date(), nullable=False),
    sa.Column("end_date", sa.Date()),
    sa.Column("individual_active", sa.Boolean(), nullable=False),
    sa.Column("visits", sa.JSON(), nullable=False),
)

# Whether each individual is receiving care (people's status "active"), whatever order their status
# and their plan arrive in: a plan makes demand for skills only while its individual is active.
individuals_seen = sa.Table(
    "individuals_seen",
    metadata,
    sa.Column("individual_id", sa.Uuid(), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
)
