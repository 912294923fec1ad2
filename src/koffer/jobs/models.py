"""Background jobs (Aufträge), the steps they completed, and the workers' heartbeats."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from koffer.tenancy.scoping import TenantOwned


class Job(TenantOwned):
    """One piece of long work for a Mandant (an import, an OCR run, a check, a print batch).

    The job row is what users see; the work itself runs in a worker through django-tasks.
    A rerun (retry, or recovery after a worker died) skips every step recorded in
    :class:`JobStep`, so no step is done twice.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "wartend"
        RUNNING = "running", "läuft"
        DONE = "done", "fertig"
        FAILED = "failed", "fehlgeschlagen"

    kind = models.CharField("Art", max_length=80)
    title = models.CharField("Titel", max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(null=True, blank=True)  # None: not yet known
    message = models.TextField("Meldung", blank=True)
    error = models.TextField("Fehler", blank=True)  # German, for the user; tracebacks go to the log
    needs_attention = models.BooleanField("Befund", default=False)
    params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveIntegerField("Versuche", default=0)
    task_id = models.CharField(max_length=64, blank=True)  # the queue entry that runs it
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Auftrag"
        verbose_name_plural = "Aufträge"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["waiting", "running", "done", "failed"]),
                name="job_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="job_tenant_created"),
            models.Index(fields=["tenant", "created_by", "status"], name="job_tenant_owner"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)


class JobStep(TenantOwned):
    """A completed step of a job. Written in the same transaction as the step's work, and
    unique per job, so a step's work is committed at most once however often it is run."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=200)
    result = models.JSONField(null=True, blank=True)
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "Auftragsschritt"
        verbose_name_plural = "Auftragsschritte"
        constraints = [
            models.UniqueConstraint(fields=["job", "key"], name="jobstep_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.key}"


class WorkerHeartbeat(models.Model):
    """A running ``manage.py worker`` says it is alive every few seconds."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "Worker-Lebenszeichen"
        verbose_name_plural = "Worker-Lebenszeichen"

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}, pid {self.pid})"
