# -*- coding: utf-8 -*-
# Reports every task result and, at the end, the set_stats data to aegir-backend as JSON lines
# on stdout, each prefixed with an ASCII record separator and the run's secret token (from the
# environment), so that no task output can forge one.
from __future__ import annotations

DOCUMENTATION = r"""
name: aegir_events
type: aggregate
short_description: Report task results and set_stats data to aegir-backend
description:
  - Writes one JSON line per task result (task, role, host, status, changed, duration, message,
    operation task index) and one with the run's set_stats data, for the Aegir back-end to read.
  - In check mode the message of a changed result is what a real run would change (its diff, or the
    message of a task that reports it).
  - Does nothing unless the environment variable AEGIR_EVENT_TOKEN is set.
requirements:
  - enable in configuration (callbacks_enabled)
"""

import json
import os
import sys
import time

from ansible import context
from ansible.plugins.callback import CallbackBase



# Cut at whitespace, never inside a word: a cut through "mysql://u:password@db" would leave a piece
# of the password the service's masking no longer recognises as a URL's.
def _tail(text, limit):
    if len(text) <= limit:
        return text
    rest = text[-limit:].split(None, 1)
    return "[cut] " + (rest[1] if len(rest) == 2 else "")


def _head(text, limit):
    if len(text) <= limit:
        return text
    rest = text[:limit].rsplit(None, 1)
    return (rest[0] if len(rest) == 2 else "") + " [cut]"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "aegir_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._token = os.environ.get("AEGIR_EVENT_TOKEN")
        self._started = {}

    def _emit(self, payload):
        if not self._token:
            return
        sys.stdout.write("\x1e" + self._token + " " + json.dumps(payload, default=str) + "\n")
        sys.stdout.flush()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._started[task._uuid] = time.monotonic()

    def v2_playbook_on_handler_task_start(self, task):
        self._started[task._uuid] = time.monotonic()

    @staticmethod
    def _task_index(task):
        # Each operation task is an include_role carrying aegir_task_index in its vars; the role's
        # own tasks reach it through their parents.
        node = task
        while node is not None:
            variables = getattr(node, "vars", None)
            if isinstance(variables, dict) and "aegir_task_index" in variables:
                try:
                    return int(variables["aegir_task_index"])
                except (TypeError, ValueError):
                    return None
            node = getattr(node, "_parent", None)
        return None

    def _report(self, result, status):
        task = result._task
        data = result._result or {}
        hidden = task.no_log or data.get("_ansible_no_log")
        message = None
        if hidden:
            message = "(output hidden: no_log)" if status in ("failed", "unreachable") else None
        elif status in ("failed", "unreachable"):
            message = data.get("msg") or data.get("reason")
            stderr = (data.get("stderr") or "").strip()
            if stderr:
                # A failed command's own words say more than "non-zero return code".
                message = (message + ": " if message else "") + _tail(stderr, 1000)
        elif status == "skipped":
            # A command skipped by a dry run says so in msg ("Command would have run if not in check mode").
            message = data.get("skip_reason") or data.get("msg")
        elif status == "ok" and data.get("changed") and context.CLIARGS.get("check"):
            # A dry run (--check --diff): what a real run would change, as a diff or the role's own words.
            diff = data.get("diff")
            message = (self._get_diff(diff) if diff else None) or data.get("msg")
        started = self._started.get(task._uuid)
        changed = bool(data.get("changed", False))
        role = task._role.get_name(include_role_fqcn=False) if task._role else None
        self._emit({
            "type": "event",
            "task_index": self._task_index(task),
            "task": task.get_name().split(" : ", 1)[-1] if task.get_name() else task.action,
            "role": role,
            "host": result._host.get_name(),
            "status": "changed" if status == "ok" and changed else status,
            "changed": changed,
            "duration_ms": int((time.monotonic() - started) * 1000) if started else None,
            "message": None if message is None else _head(str(message), 4000),
        })

    def v2_runner_on_ok(self, result):
        self._report(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._report(result, "ok" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._report(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._report(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._emit({"type": "outputs", "data": stats.custom.get("_run", {})})
