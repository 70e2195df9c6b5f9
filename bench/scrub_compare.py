"""Recall and false positives of mv3-telemetry's scrubber beside Sentry Relay
and detect-secrets, on the project's own scrub corpus (`make bench`).

Input: the JSON lines written by the corpus test
(`SCRUB_CORPUS_JSON=... cargo test --test scrub_corpus`): each case has its
category, the input, the sensitive parts it holds (none for innocuous
cases) and mv3-telemetry's output.

- mv3-telemetry: a part is removed when it no longer appears in our output;
  an innocuous case is a false positive when the output differs.
- Sentry Relay (PyPI `sentry-relay`): `pii_strip_event` with the `@common`
  rules applied to every string, each input placed in the event's `extra`
  under a neutral key. Same counting as ours, on the stripped string.
- detect-secrets (PyPI `detect-secrets`, default plugins and filters, each
  input scanned as a file of its own, as `detect-secrets scan` does): it
  reports rather than redacts, so a part counts as found when a reported
  value covers it (equal, contains it, or lies in it and is at least half
  as long); an innocuous case is a false positive when anything is
  reported. It looks for
  credentials only, so its recall is also given over credential categories.
"""

import json
import os
import sys
import tempfile
from collections import defaultdict

from detect_secrets.core.scan import scan_file
from detect_secrets.settings import default_settings
from sentry_relay.processing import pii_strip_event

# Categories that are credentials (the rest are personal data).
CREDENTIALS = {
    "assignment in text",
    "authorization header",
    "curl credentials",
    "generic secret next to a credential word",
    "jwt",
    "jwt, base64-encoded",
    "pem key",
    "url credentials",
    "url parameter",
    "vendor token",
}


def relay_outputs(inputs):
    config = {"applications": {"$string": ["@common"]}}
    extra = {f"m{k}": s for k, s in enumerate(inputs)}
    stripped = pii_strip_event(config, {"extra": extra})["extra"]
    return [stripped.get(f"m{k}", "") or "" for k in range(len(inputs))]


def detect_secrets_values(inputs):
    """What `detect-secrets scan` reports for each input, written to a file
    of its own (its default plugins and filters, as on a repository)."""
    out = []
    with tempfile.TemporaryDirectory() as tmp, default_settings():
        for k, s in enumerate(inputs):
            path = os.path.join(tmp, f"case{k}.log")
            with open(path, "w", encoding="utf-8") as f:
                f.write(s + "\n")
            found = set()
            for secret in scan_file(path):
                if secret.secret_value:
                    found.add(secret.secret_value)
            out.append(found)
    return out


def covered(part, values):
    return any(
        v == part or part in v or (v in part and 2 * len(v) >= len(part)) for v in values
    )


def main(path):
    cases = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    inputs = [c["input"] for c in cases]
    relay = relay_outputs(inputs)
    ds = detect_secrets_values(inputs)

    tools = ["mv3-telemetry", "Sentry Relay @common", "detect-secrets"]
    removed = {t: defaultdict(int) for t in tools}
    total = defaultdict(int)
    fps = {t: 0 for t in tools}
    innocuous = 0
    for c, r_out, d_vals in zip(cases, relay, ds):
        if c["kind"] == "innocuous":
            innocuous += 1
            fps["mv3-telemetry"] += c["ours"] != c["input"]
            fps["Sentry Relay @common"] += r_out != c["input"]
            fps["detect-secrets"] += bool(d_vals)
            continue
        for part in c["secrets"]:
            cat = c["category"]
            total[cat] += 1
            removed["mv3-telemetry"][cat] += part not in c["ours"]
            removed["Sentry Relay @common"][cat] += part not in r_out
            removed["detect-secrets"][cat] += covered(part, d_vals)

    def pct(a, b):
        return f"{100.0 * a / b:6.1f}%" if b else "     -"

    width = max(len(c) for c in total) + 2
    print(f"scrub corpus: {len(cases) - innocuous} sensitive inputs "
          f"({sum(total.values())} parts), {innocuous} innocuous inputs")
    print(f"{'recall by category':{width}}" + "".join(f"{t:>22}" for t in tools))
    for cat in sorted(total):
        print(f"{cat:{width}}" + "".join(f"{pct(removed[t][cat], total[cat]):>22}" for t in tools))
    all_parts = sum(total.values())
    cred_parts = sum(n for c, n in total.items() if c in CREDENTIALS)
    print(f"{'recall, all':{width}}" + "".join(
        f"{pct(sum(removed[t].values()), all_parts):>22}" for t in tools))
    print(f"{'recall, credentials only':{width}}" + "".join(
        f"{pct(sum(v for c, v in removed[t].items() if c in CREDENTIALS), cred_parts):>22}"
        for t in tools))
    print(f"{'false positives':{width}}" + "".join(
        f"{str(fps[t]) + '/' + str(innocuous):>22}" for t in tools))


if __name__ == "__main__":
    main(sys.argv[1])
