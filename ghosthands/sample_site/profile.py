"""A sample applicant: a VALET profile, answers to common questions and a resume PDF.

``SAMPLE_PROFILE`` is exactly what ``POST /valet/apply`` accepts as ``profile``
(``ghosthands.api.schemas.Profile``), so the demo and the tests send it unchanged.
"""

from __future__ import annotations

from typing import Any

SAMPLE_PROFILE: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada.lovelace@example.com",
    "phone": "+1 415 555 0132",
    "linkedin_url": "https://www.linkedin.com/in/ada-lovelace",
    "portfolio_url": "https://ada-lovelace.dev",
    "location": {
        "city": "San Francisco",
        "state": "CA",
        "country": "United States",
        "zip": "94107",
    },
    "work_authorization": "US citizen",
    "salary_expectation": "150000",
    "years_of_experience": 7,
    "education": [
        {
            "institution": "University of London",
            "degree": "Bachelor of Science",
            "field": "Mathematics",
            "graduation_year": 2016,
        }
    ],
    "work_history": [
        {
            "company": "Analytical Engines Ltd",
            "title": "Senior Software Engineer",
            "start_date": "2019-03",
        }
    ],
    "skills": ["Python", "PostgreSQL", "Playwright", "Distributed systems"],
}

SAMPLE_QA_ANSWERS: dict[str, str] = {
    "How did you hear about this job?": "LinkedIn",
    "Are you willing to relocate?": "Yes",
    "What is your earliest start date?": "2025-09-01",
}


def sample_resume_pdf(name: str = "Ada Lovelace") -> bytes:
    """A small, valid one-page PDF resume (built here, so nothing binary is shipped)."""
    lines = [
        name,
        "Senior Software Engineer - San Francisco, CA",
        "ada.lovelace@example.com  |  +1 415 555 0132",
        "",
        "Experience",
        "Analytical Engines Ltd - Senior Software Engineer (2019 - present)",
        "  Built job pipelines on PostgreSQL; browser automation with Playwright.",
        "",
        "Education",
        "University of London - BSc Mathematics (2016)",
        "",
        "Skills: Python, PostgreSQL, Playwright, Distributed systems",
    ]
    text_ops = ["BT", "/F1 12 Tf", "72 740 Td", "16 TL"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        text_ops.append(f"({escaped}) Tj T*")
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
