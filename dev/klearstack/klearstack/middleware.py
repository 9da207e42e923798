# Writes one JSON line per request to <dataDir>/requests.jsonl, for the tests: what arrived and what
# was answered. No secret is written: whether a bearer came, not the bearer; which fields the view
# read, only the company name's value (to check that Django received it intact).
import json
import os
import time

from .settings import CONFIG

LOG_PATH = os.path.join(CONFIG["dataDir"], "requests.jsonl")


class RecordRequests:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        record = {
            "at": time.time(),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "contentType": request.META.get("CONTENT_TYPE", ""),
            "bearer": "HTTP_AUTHORIZATION" in request.META,
            "company": getattr(request, "klear_company", None),
        }
        # One write in append mode per line: whole lines even with several workers.
        with open(LOG_PATH, "a", encoding="utf-8") as log:
            log.write(json.dumps(record, ensure_ascii=False) + "\n")
        return response
