"""The re-encryption subprocess: `python -m benchmarks.reencrypt_child ALIAS`; prints a JSON report.

A separate process so its peak RSS is the re-encryption's alone, not the benchmark runner's.
"""

from __future__ import annotations

import json
import os
import resource
import sys


def main(alias: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    import django

    django.setup()
    from settings_app import reencryption

    specs = reencryption.encrypted_models(["benchapp.ReencryptRow"])
    report = reencryption.reencrypt(specs, batch_size=1000, using=alias)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "scanned": report.scanned,
                "updated": report.updated,
                "failed": report.failed,
                "seconds": report.seconds,
                "rows_per_second": report.rows_per_second,
                "maxrss_kb": usage.ru_maxrss,  # kilobytes on Linux
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "default")
