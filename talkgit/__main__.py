from talkgit.cli import main

raise SystemExit(main())
