"""The one Powertools logger jobstate writes through (JSON, with `job_id` on every job line)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "jobstate"))
