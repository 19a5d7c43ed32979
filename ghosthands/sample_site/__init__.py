"""A bundled sample careers site: realistic application forms served on loopback.

Used by ``ghosthands demo`` and by the browser tests. It records exactly what each
application submitted (fields and resume bytes) so a test can check it.
"""

from ghosthands.sample_site.app import SampleSite, Submission, create_app
from ghosthands.sample_site.profile import SAMPLE_PROFILE, SAMPLE_QA_ANSWERS, sample_resume_pdf

__all__ = [
    "SAMPLE_PROFILE",
    "SAMPLE_QA_ANSWERS",
    "SampleSite",
    "Submission",
    "create_app",
    "sample_resume_pdf",
]
