"""ATS replicas: test fixtures that reproduce the structure of real applicant tracking
systems' application forms (Greenhouse, Lever, Workday, Ashby, SmartRecruiters, iCIMS),
served on loopback, recording exactly what each final submission carried.

``REPLICAS`` (by name) says where each starts and what it must receive for
``SAMPLE_PROFILE`` + ``SAMPLE_QA_ANSWERS`` + the scripted model (:mod:`.model`);
:func:`serve_replicas` serves them all, with the cross-origin frames on a second origin;
:func:`score` grades a submission against a replica.
"""

from ghosthands.sample_site.ats import (
    ashby,
    bamboohr,
    greenhouse,
    icims,
    jobvite,
    lever,
    personio,
    smartrecruiters,
    teamtailor,
    workday,
)
from ghosthands.sample_site.ats.model import ModelCall, ScriptedModel, scripted_answer
from ghosthands.sample_site.ats.replica import TODAY, Replica
from ghosthands.sample_site.ats.score import Score, score
from ghosthands.sample_site.ats.site import (
    RESUME_NAME,
    AtsSite,
    AtsSubmission,
    ServedReplicas,
    serve_replicas,
)

REPLICAS: dict[str, Replica] = {
    r.name: r
    for module in (greenhouse, lever, workday, ashby, smartrecruiters, icims)
    for r in module.REPLICAS
}

#: Held-out replicas (BambooHR, Teamtailor, Jobvite, Personio): never tuned against, so
#: they measure how the engine does on an ATS it has not seen. Not in ``REPLICAS`` (the
#: e2e test runs those); ``python -m bench.ats --held-out`` runs these.
HELD_OUT: tuple[Replica, ...] = (
    *bamboohr.HELD_OUT,
    *teamtailor.HELD_OUT,
    *jobvite.HELD_OUT,
    *personio.HELD_OUT,
)

__all__ = [
    "HELD_OUT",
    "REPLICAS",
    "RESUME_NAME",
    "TODAY",
    "AtsSite",
    "AtsSubmission",
    "ModelCall",
    "Replica",
    "Score",
    "ScriptedModel",
    "ServedReplicas",
    "score",
    "scripted_answer",
    "serve_replicas",
]
