"""Entry point of a Ferry Python worker: `python3 run_worker.py <read-fd> <write-fd>`.

Ferry starts one such process per model instance. Requests arrive as frames on <read-fd>, answers leave on
<write-fd>; stdout and stderr are free for the model's own output, which Ferry copies to its log.
"""
import sys

from ferry_worker.main import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
