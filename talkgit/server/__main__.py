import sys

from talkgit.server.serve import run

raise SystemExit(run(sys.argv[1:]))
