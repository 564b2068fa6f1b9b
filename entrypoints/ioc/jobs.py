"""The job worker's bindings: the job library (taskiq, one broker per container), the outbox's
settings and the two use cases only a worker runs (`HandOutJobs`, `RunJob`).

Only a container of a process that runs a job worker has them (`entrypoints.ioc.worker_providers`:
`storefront worker`, and `serve`'s API processes while `RUN_WORKER` is true), so that an API
process without a worker never imports taskiq."""

from __future__ import annotations

from datetime import timedelta

from dishka import Scope, provide
from dishka.integrations.taskiq import TaskiqProvider
from taskiq import AsyncBroker

from adapters.jobs.taskiq_queue import RUN_JOB_TASK, TaskiqJobQueue, create_broker
from application.jobs.run_jobs import HandOutJobs, JobSettings, RunJob
from application.ports import JobQueue
from entrypoints.settings import Settings


class JobAdapters(TaskiqProvider):
    scope = Scope.APP

    @provide
    def broker(self, settings: Settings) -> AsyncBroker:
        """Started and stopped by the job worker (`entrypoints.jobs.JobWorker`) that uses it."""
        from entrypoints.jobs import run_job

        broker = create_broker(settings.redis_url, settings.redis_key_prefix)
        broker.register_task(run_job, task_name=RUN_JOB_TASK)
        return broker

    @provide
    def queue(self, broker: AsyncBroker) -> JobQueue:
        task = broker.find_task(RUN_JOB_TASK)
        assert task is not None
        return TaskiqJobQueue(task)

    @provide
    def job_settings(self, settings: Settings) -> JobSettings:
        return JobSettings(
            max_attempts=settings.job_max_attempts, lease=timedelta(seconds=settings.job_lease_seconds)
        )

    # the use cases of a worker, built fresh for each job and each relay pass
    run_job = provide(RunJob, scope=Scope.REQUEST)
    hand_out_jobs = provide(HandOutJobs, scope=Scope.REQUEST)
